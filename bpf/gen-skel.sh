#!/bin/sh
# gen-skel.sh BPFTOOL OBJ OUT LIBBPF_VERSION: write the libbpf skeleton of OBJ.
#
# bpftool 7.5 emits `map->link = ...` for struct_ops maps, a field that
# libbpf 1.4's struct bpf_map_skeleton lacks.  The loader attaches the
# struct_ops map itself, so with an older libbpf that line is dropped.
set -eu
bpftool=$1 obj=$2 out=$3 libbpf_version=$4
"$bpftool" gen skeleton "$obj" name scx_slo > "$out.tmp"
case $libbpf_version in
0.* | 1.[0-4] | 1.[0-4].*) sed -i '/map->link = /d' "$out.tmp" ;;
esac
mv "$out.tmp" "$out"
