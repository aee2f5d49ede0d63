# SPDX-License-Identifier: GPL-2.0
#
# What mounting costs before the first request: the device handover, from
# device_dax to famfs_rs or fsdev_dax (its page map, one struct page per 4 KiB, built in
# RAM) and back. Measured on devdax namespaces of each size in $SIZES, made
# one after the other on the first device's region, then on the whole
# device; the whole device is left as dax0.0 for the rest of the run.
# Sourced by bench.sh.

HANDOVER_REPEAT=3

# ns_make SIZE: a devdax namespace of SIZE (all that is free without one)
# on region0; sets NS (namespace) and DAX (its dax device).
ns_make() {
	ndctl create-namespace -r region0 ${1:+-s $1} -m devdax --map=mem >/tmp/ns.json 2>&1 ||
		{ bench_fail "ndctl create-namespace ${1:+-s $1}: $(tail -n 2 /tmp/ns.json)"; return 1; }
	NS=$(sed -n 's/.*"dev":"\(namespace[0-9.]*\)".*/\1/p' /tmp/ns.json | head -n 1)
	DAX=$(sed -n 's/.*"chardev":"\(dax[0-9.]*\)".*/\1/p' /tmp/ns.json | head -n 1)
	[ -e /sys/bus/dax/devices/$DAX ] || { bench_fail "no dax device for $NS"; return 1; }
}

# handover_one NAME: times the moves of $DAX (device_dax -> famfs_rs ->
# device_dax) $HANDOVER_REPEAT times and counts the page map each driver
# keeps in RAM.
handover_one() {
	local name=$1 bytes i m0 m1 m2 t_in t_out t_dd
	local dd=/sys/bus/dax/drivers/device_dax fr=/sys/bus/dax/drivers/${DAXDRV:-famfs_rs}
	bytes=$(cat /sys/bus/dax/devices/$DAX/size)
	i=0
	while [ $i -lt $HANDOVER_REPEAT ]; do
		m0=$(memmap_pages)
		timeit -w $dd/unbind $DAX >/dev/null
		m1=$(memmap_pages)
		t_in=$(timeit -w $fr/new_id $DAX)
		m2=$(memmap_pages)
		[ "$(basename "$(readlink /sys/bus/dax/devices/$DAX/driver)")" = "${DAXDRV:-famfs_rs}" ] ||
			bench_fail "handover $name: $DAX did not bind to famfs_rs"
		t_out=$(timeit -w $fr/unbind $DAX)
		echo $DAX >$fr/remove_id
		t_dd=$(timeit -w $dd/bind $DAX)
		echo "BENCH handover $name bytes=$bytes $t_in" >"$OUT"
		echo "BENCH giveback $name bytes=$bytes $t_out" >"$OUT"
		echo "BENCH devdax_bind $name bytes=$bytes $t_dd" >"$OUT"
		echo "BENCH pagemap $name bytes=$bytes famfs_pages=$((m2 - m1)) devdax_pages=$((m0 - m1))" >"$OUT"
		i=$((i + 1))
	done
}

handover_costs() {
	local size
	NS=$(ndctl list -N -r region0 | sed -n 's/.*"dev":"\(namespace[0-9.]*\)".*/\1/p' | head -n 1)
	[ -n "$NS" ] || { bench_fail "no namespace on region0"; return 1; }
	ndctl destroy-namespace -f "$NS" >/dev/null 2>&1 || { bench_fail "destroy $NS"; return 1; }
	for size in $SIZES; do
		ns_make "$size" || return 1
		handover_one "$size"
		ndctl destroy-namespace -f "$NS" >/dev/null 2>&1 || { bench_fail "destroy $NS"; return 1; }
	done
	ns_make "" || return 1
	[ "$DAX" = dax0.0 ] || bench_fail "the whole device came back as $DAX, not dax0.0"
	HANDOVER_REPEAT=1 handover_one whole
}
