# A kernel whose BTF gives sched_ext kfuncs a hidden 'aux' argument (some
# 7.1 and 7.2 builds) cannot load any libbpf scheduler: scx_slo must say
# so in one line and exit 4 (no usable sched_ext), loading nothing, and
# the kernel stays on its fair scheduler.
scx_slo > "$OUT" 2> "$ERR"
rc=$?
cat "$ERR"
[ "$rc" -eq 4 ] || fail "exit status $rc, want 4"
[ "$(wc -l < "$ERR")" -eq 1 ] || fail "want one line on stderr, got $(wc -l < "$ERR")"
grep -q "hidden 'aux' argument" "$ERR" || fail "the line does not name the BTF defect"
[ "$(sched_state)" = disabled ] || fail "state $(sched_state)"
log "refused with: $(cat "$ERR")"
