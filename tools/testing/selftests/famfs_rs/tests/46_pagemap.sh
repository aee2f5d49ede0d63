# SPDX-License-Identifier: GPL-2.0
#
# Where the page map (struct pages) of a famfs device lives. Hosts that
# share the memory must each keep their page state in their own RAM: the
# test guest makes its namespaces with --map=mem, famfs_rs refuses a device
# whose namespace keeps its page map in the device (ndctl's default,
# map=dev), and what the page map costs in RAM is measured.
#
# needs: dev dev2 famfs
# needs test_page_map_in_device_refused: cmd:ndctl

# The namespace (nd) device behind dax bus device $1, and its map mode:
# "ram" (--map=mem) or "pmem" (--map=dev).
nd_of() { dirname "$(readlink -f /sys/bus/dax/devices/$1)"; }
map_mode() { cat "$(nd_of "$1")/mode"; }

# Pages holding page maps (struct pages), as the kernel counts them when it
# populates and frees them (MemFree would also count pages still on the
# per-CPU free lists). The count includes page maps kept in a device (an
# altmap): the map mode says where they are.
memmap_pages() { awk '$1 == "nr_memmap_pages" { print $2 }' /proc/vmstat; }

# per_gib PAGES BYTES: PAGES of 4 KiB per GiB of BYTES, in MiB, one decimal.
per_gib() {
	local kib=$(($1 * 4 * 1024 / ($2 >> 20)))
	echo "$((kib / 1024)).$((kib % 1024 * 10 / 1024))"
}

# The test guest's namespaces keep their page maps in RAM; binding dax0.0
# to famfs_rs builds its page map there: a struct page (64 bytes) for every
# 4 KiB page, 16 MiB per GiB. (device_dax's is smaller: its 2 MiB compound
# pages share their tail struct pages.)
test_page_map_in_host_ram() {
	local rc=0 size m0 m1 m2 per drv
	leftovers_cleared
	devdax_home || return 1
	module_loaded || insmod "$MODULE" || return 1
	expect_eq "$DEVNAME namespace map mode" ram "$(map_mode $DEVNAME)" || return 1
	expect_eq "$DEVNAME2 namespace map mode" ram "$(map_mode $DEVNAME2)" || return 1
	size=$(cat /sys/bus/dax/devices/$DEVNAME/size)
	[ -n "$(memmap_pages)" ] || { fail "no nr_memmap_pages in /proc/vmstat"; return 1; }
	m0=$(memmap_pages)
	echo $DEVNAME >/sys/bus/dax/drivers/device_dax/unbind
	m1=$(memmap_pages)
	echo $DEVNAME >/sys/bus/dax/drivers/$DAXDRV/new_id
	m2=$(memmap_pages)
	drv=$(basename "$(readlink /sys/bus/dax/devices/$DEVNAME/driver)")
	echo $DEVNAME >/sys/bus/dax/drivers/$DAXDRV/unbind
	echo $DEVNAME >/sys/bus/dax/drivers/$DAXDRV/remove_id
	echo $DEVNAME >/sys/bus/dax/drivers/device_dax/bind
	expect_eq "$DEVNAME driver after new_id" $DAXDRV "$drv" || rc=1
	diag "page map in RAM for $((size >> 20)) MiB of device: $DAXDRV's $(((m2 - m1) / 256)) MiB," \
		"$(per_gib $((m2 - m1)) "$size") MiB per GiB; device_dax's $(((m0 - m1) / 256)) MiB," \
		"$(per_gib $((m0 - m1)) "$size") MiB per GiB"
	# 16 MiB per GiB is 4096 pages per GiB; allow 3/4 to 5/4 of it.
	per=$(((m2 - m1) * 1024 / (size >> 20)))
	[ "$per" -ge 3072 ] && [ "$per" -le 5120 ] ||
		{ fail "$DAXDRV's page map took $per pages per GiB of device (expected 4096)"; rc=1; }
	devdax_home || rc=1
	return $rc
}

# A namespace remade with ndctl's default map=dev keeps its struct pages in
# the device's reserved area: famfs_rs's driver refuses it, saying how to
# fix it, and so does famfs mount; the device stays usable with device_dax.
# dax1.0's namespace is put back as it was (--map=mem) afterwards.
# timeout test_page_map_in_device_refused 600
test_page_map_in_device_refused() {
	local rc=0 nd ns drv
	leftovers_cleared
	devdax_home || return 1
	module_loaded || insmod "$MODULE" || return 1
	nd=$(nd_of $DEVNAME2)
	ns=$(cat "$nd/namespace")
	[ -n "$ns" ] || { fail "no namespace behind $DEVNAME2 ($nd)"; return 1; }
	quietly ndctl create-namespace --force --reconfig="$ns" --mode=devdax --map=dev || return 1
	expect_eq "$DEVNAME2 map mode after --map=dev" pmem "$(map_mode $DEVNAME2)" || rc=1
	quietly famfs mkfs --force $FAMFS_DEV2 || rc=1
	dmesg -c >/dev/null
	if [ $DAXDRV = famfs_rs ]; then
		echo $DEVNAME2 >/sys/bus/dax/drivers/device_dax/unbind
		echo $DEVNAME2 >/sys/bus/dax/drivers/famfs_rs/new_id
		drv=$(basename "$(readlink /sys/bus/dax/devices/$DEVNAME2/driver 2>/dev/null)")
		echo $DEVNAME2 >/sys/bus/dax/drivers/famfs_rs/remove_id
		[ "$drv" = famfs_rs ] && echo $DEVNAME2 >/sys/bus/dax/drivers/famfs_rs/unbind
		echo $DEVNAME2 >/sys/bus/dax/drivers/device_dax/bind
		[ "$drv" = famfs_rs ] && { fail "famfs_rs took a device whose page map is in the device"; rc=1; }
		dmesg | grep -q "$DEVNAME2: refused.*--map=mem" ||
			{ fail "no refusal naming --map=mem in the kernel log: $(dmesg | grep $DEVNAME2 | tail -2)"; rc=1; }
		diag "kernel: $(dmesg | grep -o "$DEVNAME2: refused.*" | cut -c1-150)..."
	else
		# fsdev_dax binds it: the refusals are famfs mount's (below) and
		# famfs_rs's claim (a daemon that skipped the check: EOPNOTSUPP).
		diag "fsdev_dax binds a map=dev device; famfs mount and famfs_rs's claim refuse it"
	fi
	mkdir -p $MNT
	if famfs mount $FAMFS_DEV2 $MNT >/tmp/mount.out 2>&1; then
		fail "famfs mount of a map=dev device succeeded"; rc=1
		famfs_umount
	else
		grep -q -- '--map=mem' /tmp/mount.out ||
			{ fail "famfs mount's refusal does not say --map=mem: $(tail -2 /tmp/mount.out)"; rc=1; }
		diag "famfs mount: $(grep -o "$DEVNAME2: its namespace.*" /tmp/mount.out | cut -c1-200)..."
	fi
	devdax_home || rc=1
	quietly ndctl create-namespace --force --reconfig="$ns" --mode=devdax --map=mem || return 1
	expect_eq "$DEVNAME2 map mode put back" ram "$(map_mode $DEVNAME2)" || rc=1
	[ -c $FAMFS_DEV2 ] || { fail "$FAMFS_DEV2 is gone after putting the namespace back"; rc=1; }
	return $rc
}
