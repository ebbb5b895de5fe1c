#!/usr/bin/env bash
# Installs Debian packages that some tests and topologies need, only when missing:
#   scripts/system_deps.sh chromium postgresql redis nginx
# Needs root (CI runs as root); without it, prints what to install and fails.
set -euo pipefail
declare -A binary=( [chromium]=/usr/bin/chromium [postgresql]=/usr/lib/postgresql [redis]=/usr/bin/redis-server [nginx]=/usr/sbin/nginx )
declare -A packages=( [chromium]="chromium fonts-noto-cjk" [postgresql]="postgresql" [redis]="redis-server" [nginx]="nginx-light" )
missing=()
for want in "$@"; do
  [[ -n "${packages[$want]:-}" ]] || { echo "unknown dependency: $want" >&2; exit 2; }
  [[ -e "${binary[$want]}" ]] || missing+=(${packages[$want]})
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing system packages: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The project starts these servers itself on free loopback ports: keep Debian from starting its own
# services (on :80, :5432, :6379) while installing, unless a policy already exists.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
