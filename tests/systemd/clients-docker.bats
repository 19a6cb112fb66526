#!/usr/bin/env bats
# Docker (Debian 12's docker.io 20.10, its dockerd as the packaged service) with
# `"exec-opts": ["native.cgroupdriver=systemd"]` and the runtime under test added
# through daemon.json's "runtimes" as "under-test": each container is a
# docker-ID.scope in system.slice with --memory as its MemoryMax; run, exec, stop,
# rm leaving no unit and no cgroup. Runs in tests/systemd/run.sh's guest.

load clients

IMG=berth.local/busybox:1

dk() {
	timeout -k 10 180 docker "$@"
}

setup_file() {
	setup_clients_file
	command -v dockerd >/dev/null || {
		echo "no dockerd in the guest: docker.io belongs in tests/vm/debian-packages.txt" >&2
		return 1
	}
	# No networks (bridge, iptables): the containers run with --network none.
	mkdir -p /etc/docker
	cat >/etc/docker/daemon.json <<-JSON
		{
		  "exec-opts": ["native.cgroupdriver=systemd"],
		  "runtimes": {"under-test": {"path": "$BERTH"}},
		  "default-runtime": "under-test",
		  "iptables": false, "ip6tables": false, "ip-forward": false, "bridge": "none",
		  "storage-driver": "overlay2"
		}
	JSON
	systemctl restart docker.service
	wait_until 120 docker info || {
		journal_tail docker.service >&2
		return 1
	}
	dk load -i "$IMG_TAR" >/dev/null
}

teardown_file() {
	local ids
	ids=$(docker ps -a -q 2>/dev/null)
	# shellcheck disable=SC2086 # one word an id
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
	systemctl stop docker.service docker.socket >/dev/null 2>&1 || true
	rm -f /etc/docker/daemon.json
}

@test "clients docker (systemd): docker info shows the systemd driver and the runtime" {
	run -0 dk info --format '{{.CgroupDriver}} {{.CgroupVersion}} {{.DefaultRuntime}}'
	[ "$output" = "systemd 2 under-test" ]
	run -0 dk info --format '{{json .Runtimes}}'
	[ "$(jq -r '."under-test".path' <<<"$output")" = "$BERTH" ]
}

@test "clients docker (systemd): run --rm gives the output and the exit code" {
	run -0 dk run --rm --network none "$IMG" sh -c 'echo hello-docker; cat /proc/self/cgroup'
	[ "${lines[0]}" = hello-docker ]
	[ "${lines[1]}" = "0::/" ]
	run -3 dk run --rm --network none "$IMG" sh -c 'exit 3'
	[ -z "$(units_matching 'docker-*.scope')" ]
}

@test "clients docker (systemd): run -d --memory: a docker scope in system.slice, exec joins it" {
	id=$(dk run -d --network none --name sdbox --memory 64m --pids-limit 50 "$IMG" sh -c 'trap "exit 0" TERM; while true; do sleep 1; done')
	save docker-id "$id"
	unit=docker-$id.scope
	pid=$(dk inspect -f '{{.State.Pid}}' sdbox)
	load_props "$unit"
	[ "${P[ActiveState]}" = active ]
	[ "${P[Slice]}" = system.slice ]
	[ "${P[Delegate]}" = yes ]
	[ "${P[MemoryMax]}" = 67108864 ]
	[ "${P[TasksMax]}" = 50 ]
	[ "${P[ControlGroup]}" = "/system.slice/$unit" ]
	[ "$(cgroup_of "$pid")" = "/system.slice/$unit" ]
	[ "$(cat "/sys/fs/cgroup/system.slice/$unit/memory.max")" = 67108864 ]
	run -0 systemctl status --no-pager "$unit"
	[[ "$output" == *"Active: active (running)"* ]]
	run -0 dk exec sdbox sh -c 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; wc -l </sys/fs/cgroup/cgroup.procs'
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 50 ]
	[ "${lines[2]}" -ge 2 ]
	run -7 dk exec sdbox sh -c 'exit 7'
	# the runtime docker ran is the one under test
	[ "$(dk inspect -f '{{.HostConfig.Runtime}}' sdbox)" = under-test ]
	# its state is in the runtime's --root that docker gave the shim
	st=$(find /run -path "*/$id/state.json" -print -quit)
	[ -n "$st" ]
	save docker-rtroot "$(dirname "$(dirname "$st")")"
	run -0 "$BERTH" --root "$(load_saved docker-rtroot)" state "$id"
	[ "$(jq -r .status <<<"$output")" = running ]
}

@test "clients docker (systemd): stop and rm leave no unit and no cgroup" {
	id=$(load_saved docker-id)
	run -0 dk stop -t 30 sdbox
	[ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' sdbox)" = "exited 0" ]
	unit_gone "docker-$id.scope"
	[ ! -d "/sys/fs/cgroup/system.slice/docker-$id.scope" ]
	run -0 dk rm sdbox
	[ -z "$(units_matching 'docker-*.scope')" ]
	run -0 "$BERTH" --root "$(load_saved docker-rtroot)" list -q
	[ -z "$output" ]
}
