// SPDX-License-Identifier: GPL-2.0
//! How a failed command's error is printed: each cause once, then, for
//! the mistakes users make most (a device path that does not exist, a file
//! that is no famfs), what was expected and what to do next.

use famfs_meta::MetaError;

/// The error's causes joined by ": ", a cause already said (an I/O error
/// that its context quotes) left out.
pub fn causes(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if out.contains(&s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s);
    }
    out
}

/// [`causes`], and a hint if one applies; `verb` is the command's (for
/// the hint).
pub fn render(e: &anyhow::Error, verb: &str) -> String {
    let mut out = causes(e);
    if let Some(h) = e
        .chain()
        .find_map(|c| c.downcast_ref().and_then(|m| hint(m, verb)))
    {
        out.push_str("\n  ");
        out.push_str(&h);
    }
    out
}

/// What a whole-file-system argument of `verb` may be.
fn expected(verb: &str) -> &'static str {
    match verb {
        "fsck" | "logplay" => {
            "a devdax device (/dev/daxX.Y), a famfs image file or a famfs mount point"
        }
        _ => "a devdax device (/dev/daxX.Y) or a famfs image file",
    }
}

/// Where to find what is expected.
const FIND: &str = "`daxctl list` (ndctl) or `ls /dev/dax*` shows this host's devdax devices; \
     an image is made with `truncate -s 4G IMG && famfs mkfs IMG`";

fn hint(e: &MetaError, verb: &str) -> Option<String> {
    match e {
        // A device or image (the .meta files of a mount are the daemon's).
        MetaError::Io {
            op: "open",
            source,
            path,
        } if source.kind() == std::io::ErrorKind::NotFound && !path.contains("/.meta/") => Some(
            format!("hint: expected {} that exists: {FIND}", expected(verb)),
        ),
        // devdax_size: a character device with no dax size in sysfs.
        MetaError::Io {
            op: "read", path, ..
        } if path.starts_with("/sys/dev/char/") => Some(format!(
            "hint: a character device, but no devdax one; expected {}: {FIND}",
            expected(verb)
        )),
        MetaError::Invalid { msg, media }
            if msg.starts_with("too small") || msg.starts_with("neither a devdax") =>
        {
            Some(format!(
                "hint: {media} is no famfs; expected {}: {FIND}",
                expected(verb)
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn causes_said_once_with_a_hint() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e: anyhow::Error = MetaError::io(std::path::Path::new("/dev/nope"), "open", io).into();
        let e = e.context("mounting");
        let text = render(&e, "mount");
        assert_eq!(text.matches("entity not found").count(), 1, "{text}");
        assert!(text.starts_with("mounting: /dev/nope: open: "), "{text}");
        assert!(text.contains("hint: expected a devdax device"), "{text}");
        let plain = anyhow::anyhow!("x").context("y");
        assert_eq!(render(&plain, "creat"), "y: x");
        let r: Result<(), _> = Err(anyhow::anyhow!("a: b")).context("a: b");
        assert_eq!(render(&r.unwrap_err(), "creat"), "a: b");
    }
}
