# SPDX-License-Identifier: GPL-2.0
#
# What famfs_rs offers beyond upstream famfs, all resting on famfs maps
# never changing: MAP_SYNC mappings, FIEMAP (filefrag) reporting where
# every byte lives, and devices named to the kernel by number.
#
# needs: dev famfs
# needs test_fiemap_matches_getmap: dev2 cmd:filefrag
# needs test_daxdev_numbers_refused: dev2

layout_probe() { run_shown layout_probe "$@"; }

# MAP_SHARED_VALIDATE|MAP_SYNC maps a famfs file (as on ext4/xfs with dax)
# and still faults by PMD; the same mmap on tmpfs fails (EOPNOTSUPP).
test_map_sync_accepted_and_faults_stay_pmd() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 8M -m 0666 /sync || { fail "creat failed"; return 1; }
	famfs_mount || return 1
	head -c 4096 /dev/zero >/tmp/not-dax
	pmd0=$(counter faults_pmd) pte0=$(counter faults_pte)
	layout_probe mapsync $MNT/sync /tmp/not-dax
	r=$?
	pmd=$(($(counter faults_pmd) - pmd0)) pte=$(($(counter faults_pte) - pte0))
	famfs_umount || return 1
	diag "MAP_SYNC map of 8 MiB: $pmd PMD faults, $pte PTE faults"
	[ $r -eq 0 ] && expect_eq "PMD faults" 4 $pmd && expect_eq "PTE faults" 0 $pte
}

# expected_fiemap FILE: the FIEMAP lines famfs getmap's map implies, in
# layout_probe's format: a simple file's extents one after the other, an
# interleaved file's chunks round robin over its strips, up to the end of
# its last 2 MiB unit; runs that continue each other on one device as one;
# the last flagged FIEMAP_EXTENT_LAST (0x1). (Shell arithmetic: offsets
# pass 32 bits.)
expected_fiemap() {
	famfs getmap "$1" >/tmp/gm.txt || return 1
	size=$(sed -n 's/^ *size: \([0-9]*\).*/\1/p' /tmp/gm.txt)
	end=$(((size + 2097151) / 2097152 * 2097152))
	: >/tmp/runs
	if grep -q "fmap: interleaved" /tmp/gm.txt; then
		n=$(sed -n 's/.*interleaved, \([0-9]*\) strips.*/\1/p' /tmp/gm.txt)
		chunk=$(($(sed -n 's/.*chunk size \(0x[0-9a-f]*\).*/\1/p' /tmp/gm.txt)))
		sed -n 's/.*strip [0-9]*: device \([0-9]*\), offset \(0x[0-9a-f]*\),.*/\1 \2/p' /tmp/gm.txt >/tmp/strips
		k=0
		while [ $((k * chunk)) -lt $end ]; do
			set -- $(sed -n "$((k % n + 1))p" /tmp/strips)
			echo "$((k * chunk)) $1 $(($2 + k / n * chunk)) $chunk" >>/tmp/runs
			k=$((k + 1))
		done
	else
		l=0
		sed -n 's/.*extent [0-9]*: device \([0-9]*\), offset \(0x[0-9a-f]*\), length \(0x[0-9a-f]*\).*/\1 \2 \3/p' \
			/tmp/gm.txt >/tmp/extents
		while read -r d o len && [ $l -lt $end ]; do
			len=$((len)); [ $((l + len)) -gt $end ] && len=$((end - l))
			echo "$l $d $((o)) $len" >>/tmp/runs
			l=$((l + len))
		done </tmp/extents
	fi
	# Merge the runs that continue each other, then print them.
	: >/tmp/merged
	cl= cd= cp= cn=
	while read -r l d p len; do
		if [ -n "$cl" ] && [ "$d" = "$cd" ] && [ $((cp + cn)) -eq "$p" ]; then
			cn=$((cn + len))
			continue
		fi
		[ -n "$cl" ] && echo "$cl $cp $cn" >>/tmp/merged
		cl=$l cd=$d cp=$p cn=$len
	done </tmp/runs
	[ -n "$cl" ] && echo "$cl $cp $cn" >>/tmp/merged
	total=$(wc -l </tmp/merged) i=0
	while read -r l p len; do
		i=$((i + 1))
		printf "0x%x 0x%x 0x%x 0x%x\n" "$l" "$p" "$len" $([ $i -eq "$total" ] && echo 1 || echo 0)
	done </tmp/merged
}

# FIEMAP of a simple, an interleaved and a two-device file matches famfs
# getmap, byte for byte; filefrag (e2fsprogs) reads the same extents.
test_fiemap_matches_getmap() {
	famfs_fresh || return 1
	[ -e $FAMFS_DEV2 ] || { fail "no second devdax ($FAMFS_DEV2)"; return 1; }
	famfs adddev -D $FAMFS_DEV $FAMFS_DEV2 >/dev/null || { fail "adddev failed"; return 1; }
	D="-D $FAMFS_DEV --daxdev $FAMFS_DEV2"
	famfs creat $D -s 5000000 /simple && famfs creat $D -s 8M -N 2 -C 2M /il &&
		famfs creat $D -s 8M -N 2 -C 2M --devices 0,1 /both || { fail "creat failed"; return 1; }
	famfs_mount --daxdev $FAMFS_DEV2 || return 1
	rc=0
	for f in simple il both; do
		expected_fiemap $MNT/$f >/tmp/fiemap.want
		"$BIN/layout_probe" fiemap $MNT/$f >/tmp/fiemap.got 2>&1
		if cmp -s /tmp/fiemap.want /tmp/fiemap.got; then
			diag "$f: $(wc -l </tmp/fiemap.got) FIEMAP extents as getmap says"
		else
			while read -r l; do diag "getmap implies: $l"; done </tmp/fiemap.want
			while read -r l; do diag "FIEMAP says:    $l"; done </tmp/fiemap.got
			fail "FIEMAP of $f differs from its map"; rc=1
		fi
		n=$(wc -l </tmp/fiemap.want)
		filefrag -v $MNT/$f >/tmp/filefrag.out 2>&1 || { fail "filefrag -v $f failed: $(tail -1 /tmp/filefrag.out)"; rc=1; continue; }
		grep -q "$n extents\? found" /tmp/filefrag.out ||
			{ fail "filefrag $f: $(tail -1 /tmp/filefrag.out), expected $n"; rc=1; }
	done
	famfs_umount || rc=1
	return $rc
}

daemon_log() { ls /var/log/famfs_rs/mnt-famfs.log /run/famfs_rs/mnt-famfs.log 2>/dev/null | head -1; }

# Protocol 3 (the default): the daemon names devices by number and the
# module finds them so; a daemon speaking protocol 2 (an older famfs)
# still works by name.
test_daxdev_by_number_and_by_name() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 4M -m 0666 /f || { fail "creat failed"; return 1; }
	famfs_mount || return 1
	"$BIN/dax_probe" rw $MNT/f 5 >/dev/null || { famfs_umount; fail "rw failed (protocol 3)"; return 1; }
	by_number=$(counter daxdev_by_number)
	grep -q "famfs_rs protocol 3" "$(daemon_log)" || { famfs_umount; fail "the daemon did not speak protocol 3"; return 1; }
	famfs_umount || return 1
	expect_eq "GET_DAXDEV replies by number (protocol 3)" 1 "$by_number" || return 1
	famfs_mount --famfs-rs-proto 2 || return 1
	if [ $DAXDRV != famfs_rs ]; then
		# fsdev_dax kernels find devices by number only: a protocol-2
		# daemon's GET_DAXDEV (a name) is refused, and the log says why.
		expect_eq "open with a protocol-2 daemon on $DAXDRV" ENODEV \
			"$(timeout 10 "$BIN/open_as" 0 0 $MNT/f rdonly)" || { famfs_umount; return 1; }
		dmesg | grep -q 'finds dax devices by number only' ||
			{ famfs_umount; fail "no log line saying the daemon must send the number"; return 1; }
		famfs_umount
		return
	fi
	"$BIN/dax_probe" rw $MNT/f 6 >/dev/null || { famfs_umount; fail "rw failed (protocol 2)"; return 1; }
	by_number=$(counter daxdev_by_number)
	grep -q "famfs_rs protocol 2" "$(daemon_log)" || { famfs_umount; fail "the daemon did not speak protocol 2"; return 1; }
	famfs_umount || return 1
	expect_eq "GET_DAXDEV replies by number (protocol 2)" 0 "$by_number"
}

# expect_open CASE ERRNO: opening bad-CASE fails with ERRNO.
expect_open() {
	expect_eq "open bad-$1" "$2" "$(timeout 10 "$BIN/open_as" 0 0 $MNT/bad-$1 rdonly)"
}

# A device named by a number that is not a dax device (/dev/null, or the
# dax major with a minor nobody has), of a
# dax device not bound to famfs_rs, of one another mount holds, or whose
# name says another device: each refused cleanly, the mount unharmed.
test_daxdev_numbers_refused() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 2M /ok || { fail "creat failed"; return 1; }
	famfs_mount --misbehave daxdev-number-null,daxdev-number-other,daxdev-number-name-mismatch,daxdev-number-unallocated || return 1
	rc=0
	expect_open daxdev-number-null ENODEV || rc=1
	# The dax major with a minor no device has: refused, and no dax device
	# made up for it (on 7.x, dax_dev_get() would; freeing it WARNs).
	expect_open daxdev-number-unallocated ENODEV || rc=1
	# dax1.0 is with device_dax.
	expect_open daxdev-number-other ENODEV || rc=1
	expect_open daxdev-number-name-mismatch ENODEV || rc=1
	# dax1.0 with famfs_rs, held by no mount: its number under another name.
	# (On fsdev_dax kernels the device's name is private to the kernel:
	# famfs_rs finds devices by number only and cannot compare names.)
	if [ $DAXDRV = famfs_rs ]; then
		echo $DEVNAME2 >/sys/bus/dax/drivers/device_dax/unbind && echo $DEVNAME2 >/sys/bus/dax/drivers/famfs_rs/new_id ||
			{ fail "handing $DEVNAME2 to famfs_rs failed"; rc=1; }
		expect_open daxdev-number-name-mismatch EIO || rc=1
		echo $DEVNAME2 >/sys/bus/dax/drivers/famfs_rs/unbind
		echo $DEVNAME2 >/sys/bus/dax/drivers/famfs_rs/remove_id
		echo $DEVNAME2 >/sys/bus/dax/drivers/device_dax/bind
	else
		diag "name against number not checked: $DAXDRV keeps device names private"
	fi
	# dax1.0 held by another mount: a mount claims a device when a file
	# on it is first opened (reading its log does).
	mkdir -p /mnt/other
	quietly famfs mkfs --force $FAMFS_DEV2 && quietly famfs mount $FAMFS_DEV2 /mnt/other &&
		cat /mnt/other/.meta/.log >/dev/null || { fail "the other mount on $DEVNAME2 failed"; rc=1; }
	expect_open daxdev-number-other EBUSY || rc=1
	quietly famfs umount --timeout 60 /mnt/other || rc=1
	[ "$(timeout 10 "$BIN/open_as" 0 0 $MNT/ok rdonly)" = ok ] || { fail "the mount stopped working"; rc=1; }
	famfs_umount || rc=1
	devdax_home 30 || rc=1
	return $rc
}

# Maps a file may not have, refused whatever was opened before (nothing
# here opens a .meta file first): a regular file's map onto the
# superblock or the log, a regular file whose map says "log", an empty
# file's map with an extent. Each is a counted bad reply with a kernel
# line saying why; the .meta files and the log still work afterwards.
test_maps_into_the_metadata_refused() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 2M /ok || { fail "creat failed"; return 1; }
	cases="fmap-in-superblock fmap-in-log fmap-overlaps-log fmap-regular-says-log fmap-empty-with-extents"
	famfs_mount --misbehave "$(echo $cases | tr ' ' ',')" || return 1
	before=$(counter bad_replies)
	rc=0
	for c in $cases; do
		expect_open $c EIO || rc=1
	done
	expect_eq "bad replies counted" 5 $(($(counter bad_replies) - before)) || rc=1
	dmesg | grep -q "it maps the superblock and log area" ||
		{ fail "no kernel line says a map was in the superblock and log area"; rc=1; }
	dmesg | grep -q "its file type is not the file's" ||
		{ fail "no kernel line says a map's file type was wrong"; rc=1; }
	for f in .meta/.superblock .meta/.log ok; do
		expect_eq "open of $f" ok "$(timeout 10 "$BIN/open_as" 0 0 $MNT/$f rdonly)" || rc=1
	done
	famfs logplay $MNT >/dev/null 2>&1 || { fail "the log cannot be read after the refusals"; rc=1; }
	famfs creat -s 2M $MNT/after || { fail "appending to the log failed after the refusals"; rc=1; }
	famfs_umount || rc=1
	return $rc
}
