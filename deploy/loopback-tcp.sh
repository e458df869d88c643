#!/usr/bin/env bash
# Processes on one machine talk over loopback, whose 64 KiB MTU makes a segment as large as the window of Linux's
# default 128 KiB receive buffer; a connection of small messages, such as a gateway's to a silo, then stalls for
# seconds under a burst (the sender waits on its persist timer). A default buffer of four MTUs keeps two segments in
# the window (deploy/README.md, "A real cluster on one machine").
#   deploy/loopback-tcp.sh check   # warns on stderr and fails when the default is below four MTUs
#   deploy/loopback-tcp.sh raise   # raises the default to four MTUs (sysctl), keeping the minimum and maximum
set -euo pipefail
action="${1:-check}"
[[ "$action" == check || "$action" == raise ]] || { echo "usage: $0 check|raise" >&2; exit 2; }
mtu=$(cat /sys/class/net/lo/mtu)
read -r min default max < /proc/sys/net/ipv4/tcp_rmem
wanted=$((4 * mtu))
(( default >= wanted )) && exit 0
setting="$min $wanted $(( max > wanted ? max : wanted ))"
case "$action" in
  check)
    echo "warning: the TCP receive buffer default $default is below 4 x the loopback MTU $mtu: a burst can stall a" \
      "connection between processes on this machine for seconds. Raise it: sysctl -w net.ipv4.tcp_rmem=\"$setting\"" >&2
    exit 1
    ;;
  raise)
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo sysctl -w net.ipv4.tcp_rmem="$setting"
    ;;
esac
