# SPDX-License-Identifier: GPL-2.0
#
# The emulated CXL memory reached the guest as a devdax device.
#
# needs: dev
# needs test_devdax_size: param:cxl_size
# needs test_devdax_on_cxl: param:cxl_size cmd:cxl

test_devdax_present() {
	[ -c $FAMFS_DEV ] || fail "$FAMFS_DEV is not a character device" || return 1
	[ -d /sys/bus/dax/devices/$DEVNAME ] || fail "$DEVNAME not on the dax bus"
}

# The devdax spans the CXL memory the host configured, less the namespace's
# reserved area: only its info block, rounded up to 2 MiB, since the page
# map (struct pages) is in RAM (--map=mem; in the device, map=dev, it
# would take another 16 MiB per GiB).
test_devdax_size() {
	want=$(param cxl_size)
	[ -n "$want" ] || fail "host did not pass famfs_rs_test.cxl_size" || return 1
	size=$(cat /sys/bus/dax/devices/$DEVNAME/size)
	diag "$DEVNAME size $size bytes, CXL memory $want bytes"
	[ "$size" -le "$want" ] || fail "size $size exceeds the CXL memory $want" || return 1
	[ "$size" -ge $((want - 4194304)) ] || fail "size $size is more than 4 MiB under $want" || return 1
	[ $((size % 2097152)) -eq 0 ] || fail "size $size is not 2 MiB aligned" || return 1
	align=$(cat /sys/bus/dax/devices/$DEVNAME/align)
	expect_eq "$DEVNAME align" 2097152 "$align"
}

# The memory is CXL memory, not something else that happened to be there.
test_devdax_on_cxl() {
	grep -q "CXL Window" /proc/iomem || fail "no CXL Window in /proc/iomem" || return 1
	cxl list -R 2>/dev/null | grep -q region0 || fail "cxl list shows no region0"
}
