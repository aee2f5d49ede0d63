// SPDX-License-Identifier: GPL-2.0
//! The superblock: 200 bytes at offset 0 of every famfs device.

use core::mem::{offset_of, size_of};

use uuid::Uuid;
use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{
    crc, OmfError, ALLOC_UNIT, ALLOC_UNIT_SMALL, DAXDEV_NAME_LEN, FAMFS_VERSION, LOG_LEN_DEFAULT,
    OMF_VER_MAJOR, OMF_VER_MINOR, SB_MAGIC, SB_REGION_LEN,
};

/// The device record inside the superblock (`ts_daxdev`).
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfDaxdev {
    pub dd_size: U64,
    pub dd_uuid: [u8; 16],
    /// Device name at format time, NUL-padded. Informational only: devices
    /// are identified by UUID because paths differ from host to host.
    pub dd_daxdev: [u8; DAXDEV_NAME_LEN],
}

/// Superblock as laid out on the media.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfSuperblock {
    pub ts_magic: U64,
    pub ts_version: U64,
    pub ts_log_offset: U64,
    pub ts_log_len: U64,
    pub ts_alloc_unit: U64,
    pub ts_omf_ver_major: U32,
    pub ts_omf_ver_minor: U32,
    pub ts_uuid: [u8; 16],
    pub ts_dev_uuid: [u8; 16],
    pub ts_system_uuid: [u8; 16],
    pub ts_crc: U64,
    pub ts_sb_flags: U32,
    pub _pad: [u8; 4],
    pub ts_daxdev: OmfDaxdev,
}

const _: () = {
    assert!(size_of::<OmfDaxdev>() == 88);
    assert!(offset_of!(OmfDaxdev, dd_uuid) == 8);
    assert!(offset_of!(OmfDaxdev, dd_daxdev) == 24);
    assert!(size_of::<OmfSuperblock>() == 200);
    assert!(offset_of!(OmfSuperblock, ts_version) == 8);
    assert!(offset_of!(OmfSuperblock, ts_log_offset) == 16);
    assert!(offset_of!(OmfSuperblock, ts_log_len) == 24);
    assert!(offset_of!(OmfSuperblock, ts_alloc_unit) == 32);
    assert!(offset_of!(OmfSuperblock, ts_omf_ver_major) == 40);
    assert!(offset_of!(OmfSuperblock, ts_omf_ver_minor) == 44);
    assert!(offset_of!(OmfSuperblock, ts_uuid) == 48);
    assert!(offset_of!(OmfSuperblock, ts_dev_uuid) == 64);
    assert!(offset_of!(OmfSuperblock, ts_system_uuid) == 80);
    assert!(offset_of!(OmfSuperblock, ts_crc) == 96);
    assert!(offset_of!(OmfSuperblock, ts_sb_flags) == 104);
    assert!(offset_of!(OmfSuperblock, ts_daxdev) == 112);
};

/// Bytes covered by `ts_crc`: everything before it.
const SB_CRC_SPAN: usize = offset_of!(OmfSuperblock, ts_crc);

/// Which device of a file system a superblock sits on (`ts_sb_flags`).
///
/// Upstream famfs defines the flags but its mkfs never writes them: a
/// primary superblock written by upstream holds 0 there, or whatever bytes
/// the media held before (the field is not CRC-covered). So only the
/// secondary marker means anything; every other value is a primary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SbRole {
    /// The device holding the log (flag 1 when famfs_rs wrote it).
    Primary,
    /// A device added with an ADD_DAXDEV entry (flag 2).
    Secondary,
}

impl SbRole {
    const PRIMARY: u32 = 1;
    const SECONDARY: u32 = 2;

    fn flag(self) -> u32 {
        match self {
            SbRole::Primary => Self::PRIMARY,
            SbRole::Secondary => Self::SECONDARY,
        }
    }
}

impl OmfSuperblock {
    /// A fresh superblock with the default geometry; CRC already set.
    pub fn new(
        role: SbRole,
        fs_uuid: Uuid,
        dev_uuid: Uuid,
        system_uuid: Uuid,
        dev_size: u64,
        dev_name: &str,
        log_len: u64,
    ) -> Self {
        let mut name = [0u8; DAXDEV_NAME_LEN];
        // Keep the last byte NUL: the name is a C string on the media.
        let n = dev_name.len().min(DAXDEV_NAME_LEN - 1);
        name[..n].copy_from_slice(&dev_name.as_bytes()[..n]);
        let mut sb = OmfSuperblock {
            ts_magic: SB_MAGIC.into(),
            ts_version: FAMFS_VERSION.into(),
            ts_log_offset: crate::LOG_OFFSET.into(),
            ts_log_len: log_len.into(),
            ts_alloc_unit: ALLOC_UNIT.into(),
            ts_omf_ver_major: OMF_VER_MAJOR.into(),
            ts_omf_ver_minor: OMF_VER_MINOR.into(),
            ts_uuid: fs_uuid.into_bytes(),
            ts_dev_uuid: dev_uuid.into_bytes(),
            ts_system_uuid: system_uuid.into_bytes(),
            ts_crc: 0.into(),
            ts_sb_flags: role.flag().into(),
            _pad: [0; 4],
            ts_daxdev: OmfDaxdev {
                dd_size: dev_size.into(),
                dd_uuid: dev_uuid.into_bytes(),
                dd_daxdev: name,
            },
        };
        sb.seal();
        sb
    }

    /// View the superblock at the start of `bytes` (no checks beyond size).
    pub fn view(bytes: &[u8]) -> Result<&Self, OmfError> {
        Self::ref_from_prefix(bytes)
            .map(|(sb, _)| sb)
            .map_err(|_| OmfError::Truncated {
                what: "superblock",
                need: size_of::<Self>(),
                have: bytes.len(),
            })
    }

    /// View and fully check a superblock: magic, CRC, versions, geometry.
    pub fn parse(bytes: &[u8]) -> Result<&Self, OmfError> {
        let sb = Self::view(bytes)?;
        sb.check()?;
        Ok(sb)
    }

    /// The CRC the superblock should carry.
    pub fn computed_crc(&self) -> u64 {
        crc(&self.as_bytes()[..SB_CRC_SPAN])
    }

    /// Recompute and store `ts_crc` after changing fields.
    pub fn seal(&mut self) {
        self.ts_crc = self.computed_crc().into();
    }

    /// Check magic, CRC, versions and geometry, in that order.
    pub fn check(&self) -> Result<(), OmfError> {
        let magic = self.ts_magic.get();
        if magic != SB_MAGIC {
            return Err(OmfError::BadMagic {
                what: "superblock",
                found: magic,
                expected: SB_MAGIC,
            });
        }
        let (stored, computed) = (self.ts_crc.get(), self.computed_crc());
        if stored != computed {
            return Err(OmfError::BadCrc {
                what: "superblock",
                stored,
                computed,
            });
        }
        // ts_version fixes the layout; upstream checks only it. A major
        // OMF version other than 2 would be a format we cannot know, so it
        // is refused; minor versions are compatible by definition and
        // accepted (fsck mentions one that is not 2).
        let (version, major, minor) = (
            self.ts_version.get(),
            self.ts_omf_ver_major.get(),
            self.ts_omf_ver_minor.get(),
        );
        if version != FAMFS_VERSION || major != OMF_VER_MAJOR {
            return Err(OmfError::BadVersion {
                version,
                major,
                minor,
            });
        }
        let bad = |msg: String| OmfError::BadGeometry {
            what: "superblock",
            msg,
        };
        let unit = self.ts_alloc_unit.get();
        if unit != ALLOC_UNIT && unit != ALLOC_UNIT_SMALL {
            return Err(bad(format!(
                "allocation unit {unit:#x} (famfs knows {ALLOC_UNIT:#x} and {ALLOC_UNIT_SMALL:#x})"
            )));
        }
        if self.ts_log_offset.get() != SB_REGION_LEN {
            return Err(bad(format!(
                "log offset {:#x} (must be {SB_REGION_LEN:#x})",
                self.ts_log_offset.get()
            )));
        }
        check_log_len(self.ts_log_len.get()).map_err(bad)?;
        Ok(())
    }

    /// Primary or secondary: only the secondary marker (2) makes a
    /// secondary; 0 (upstream's mkfs), 1 (famfs_rs's) or leftover bytes
    /// are a primary (see [`SbRole`]).
    pub fn role(&self) -> SbRole {
        match self.ts_sb_flags.get() {
            SbRole::SECONDARY => SbRole::Secondary,
            _ => SbRole::Primary,
        }
    }

    /// The allocation unit recorded at mkfs: 2 MiB, or 4 KiB (which
    /// upstream accepts; famfs_rs.ko cannot map such a file system).
    pub fn alloc_unit(&self) -> u64 {
        self.ts_alloc_unit.get()
    }

    /// OMF (major, minor) version recorded at mkfs.
    pub fn omf_version(&self) -> (u32, u32) {
        (self.ts_omf_ver_major.get(), self.ts_omf_ver_minor.get())
    }

    /// File system UUID.
    pub fn fs_uuid(&self) -> Uuid {
        Uuid::from_bytes(self.ts_uuid)
    }

    /// This device's UUID.
    pub fn dev_uuid(&self) -> Uuid {
        Uuid::from_bytes(self.ts_dev_uuid)
    }

    /// System UUID of the master host, the only one that writes the log.
    pub fn system_uuid(&self) -> Uuid {
        Uuid::from_bytes(self.ts_system_uuid)
    }

    /// Device size recorded at mkfs.
    pub fn dev_size(&self) -> u64 {
        self.ts_daxdev.dd_size.get()
    }

    /// Device name recorded at mkfs (lossy: informational only).
    pub fn dev_name(&self) -> String {
        let name = &self.ts_daxdev.dd_daxdev;
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        String::from_utf8_lossy(&name[..end]).into_owned()
    }

    /// Log offset on the primary device.
    pub fn log_offset(&self) -> u64 {
        self.ts_log_offset.get()
    }

    /// Log length in bytes.
    pub fn log_len(&self) -> u64 {
        self.ts_log_len.get()
    }

    /// First byte past the log: where data may start.
    pub fn data_start(&self) -> u64 {
        self.log_offset().saturating_add(self.log_len())
    }
}

/// A log length is a power of two, at least 8 MiB.
pub(crate) fn check_log_len(len: u64) -> Result<(), String> {
    if len < LOG_LEN_DEFAULT || !len.is_power_of_two() {
        return Err(format!(
            "log length {len:#x} must be a power of two of at least {LOG_LEN_DEFAULT:#x} (8 MiB)"
        ));
    }
    Ok(())
}
