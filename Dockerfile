# scx_slo container image: a build stage that compiles the BPF scheduler and
# the loader with the project's CMake build, and a runtime stage that carries
# only /usr/local/sbin/scx_slo, the node agent /usr/local/sbin/scx_slo_agent
# and the Debian packages of the shared libraries they link (found with ldd,
# pinned to the versions they were built against; the list is kept in
# /usr/local/share/scx-slo/runtime-packages).
#
#   docker build -t REGISTRY/scx-slo:TAG .          (or podman/buildah build)
#
# Build arguments:
#   BUILD_BASE, RUNTIME_BASE  base images (Debian bookworm; anything with
#                             bookworm's apt sources works, e.g. a mirror copy)
#   SCX_SLO_BTF               kernel BTF the BPF program is compiled against
#                             (vmlinux.h), as a path inside the build context.
#                             Default deploy/btf/vmlinux; see deploy/btf/README.md.
#                             When that file is absent, the build host's own
#                             /sys/kernel/btf/vmlinux is used if it has sched_ext.
#
# The BPF object is CO-RE: one image loads on every sched_ext kernel (6.12+),
# whichever sched_ext kernel's BTF it was compiled against.
#
# Both stages install from the mirror at build time.  If a cached build stage
# is older than the mirror's current packages, the runtime stage can fail with
# "Version ... was not found": rebuild with --no-cache (and --pull).

ARG BUILD_BASE=docker.io/library/debian:bookworm
ARG RUNTIME_BASE=docker.io/library/debian:bookworm-slim

# deploy/image/: add-backports.sh (bookworm-backports on the image's own
# mirror), runtime-packages.sh (ldd -> pinned Debian packages) and
# install-runtime.sh (installs that list in the runtime stage).
FROM ${BUILD_BASE} AS build
ARG DEBIAN_FRONTEND=noninteractive
COPY deploy/image/add-backports.sh /usr/local/lib/scx-slo/add-backports.sh
RUN sh /usr/local/lib/scx-slo/add-backports.sh \
 && apt-get update -q -o Acquire::Languages=none \
 && apt-get install -y -q --no-install-recommends \
	build-essential cmake pkg-config ca-certificates file \
	clang-19 llvm-19 libelf-dev zlib1g-dev \
	libhwloc-dev libnuma-dev libcmocka-dev libyaml-dev libmicrohttpd-dev \
	libcurl4-openssl-dev libjson-c-dev \
 && apt-get install -y -q --no-install-recommends -t bookworm-backports \
	libbpf-dev bpftool \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
ARG SCX_SLO_BTF=deploy/btf/vmlinux
# Only the loader target: the unit tests, VM initramfs and benchmarks are not
# part of the image.  The runtime package list is computed here: every shared
# library ldd reports, mapped to its Debian package and pinned to the exact
# version it was linked against.
RUN set -eu; \
	if [ -s "$SCX_SLO_BTF" ]; then export SCX_SLO_BTF="$(realpath "$SCX_SLO_BTF")"; \
	else echo "no BTF at '$SCX_SLO_BTF': using the build host's kernel BTF (needs sched_ext)"; \
	     unset SCX_SLO_BTF; fi; \
	cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo; \
	cmake --build /build --target scx_slo scx_slo_agent -j"$(nproc)"; \
	install -D -m 0755 /build/loader/scx_slo /out/usr/local/sbin/scx_slo; \
	install -D -m 0755 /build/agent/scx_slo_agent /out/usr/local/sbin/scx_slo_agent; \
	strip --strip-debug /out/usr/local/sbin/scx_slo /out/usr/local/sbin/scx_slo_agent; \
	/out/usr/local/sbin/scx_slo --version; \
	/out/usr/local/sbin/scx_slo_agent --help > /dev/null; \
	sh deploy/image/runtime-packages.sh /out/usr/local/sbin/scx_slo > /tmp/loader-packages; \
	sh deploy/image/runtime-packages.sh /out/usr/local/sbin/scx_slo_agent > /tmp/agent-packages; \
	sort -u /tmp/loader-packages /tmp/agent-packages > /out/runtime-packages; \
	echo "runtime packages:"; cat /out/runtime-packages

FROM ${RUNTIME_BASE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# The package list is copied, not bind-mounted: a COPY is cached by content,
# so a new list (a library added to the loader) always reinstalls.  The list
# stays in the image as the record of what was installed; the scripts go.
COPY --from=build /out/runtime-packages /usr/local/share/scx-slo/runtime-packages
COPY --from=build /src/deploy/image/add-backports.sh /src/deploy/image/install-runtime.sh /tmp/scx-slo/
RUN sh /tmp/scx-slo/add-backports.sh \
 && sh /tmp/scx-slo/install-runtime.sh /usr/local/share/scx-slo/runtime-packages \
 && rm -rf /tmp/scx-slo
COPY --from=build /out/usr/local/sbin/scx_slo /usr/local/sbin/scx_slo
COPY --from=build /out/usr/local/sbin/scx_slo_agent /usr/local/sbin/scx_slo_agent

LABEL org.opencontainers.image.title="scx_slo" \
      org.opencontainers.image.description="SLO-aware earliest-deadline-first sched_ext CPU scheduler" \
      org.opencontainers.image.licenses="GPL-2.0-only"
# Root (scx_slo checks for uid 0); loading a sched_ext scheduler needs CAP_BPF
# and CAP_PERFMON, which deploy/ grants and nothing more (see the DaemonSet).
USER 0
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/sbin/scx_slo"]
