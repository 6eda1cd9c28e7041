#!/bin/sh
# Smallest useful check: a command runs in the guest and prints.
out=$(uname -r) || exit 1
echo "lxds-guest: test hello: $out"
