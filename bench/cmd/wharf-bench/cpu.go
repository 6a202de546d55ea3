package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The machine may be shared (and is a VM): every run records how much CPU
// the server and wrk used, how much went to anything else, and how much the
// hypervisor stole, so that a disturbed run shows as one.

const clockTick = 10 * time.Millisecond // USER_HZ is 100 on Linux

// cpuStat is the machine's cumulative CPU time from /proc/stat.
type cpuStat struct {
	busy  time.Duration // user + nice + system + irq + softirq, all CPUs
	steal time.Duration
}

func readCPUStat() (cpuStat, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(first)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuStat{}, fmt.Errorf("unexpected /proc/stat line %q", first)
	}
	v := make([]int64, len(f))
	for i := 1; i < len(f); i++ {
		v[i], _ = strconv.ParseInt(f[i], 10, 64)
	}
	// cpu user nice system idle iowait irq softirq steal ...
	return cpuStat{
		busy:  time.Duration(v[1]+v[2]+v[3]+v[6]+v[7]) * clockTick,
		steal: time.Duration(v[8]) * clockTick,
	}, nil
}

// procCPU is the user + system time of process pid so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(b), ") ") // after the command's name
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 { // state is field 3; utime and stime fields 14 and 15
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * clockTick
}

// CPUUse is where CPU time went during a run, in cores (CPU seconds per
// second of wall time).
type CPUUse struct {
	Server, Wrk, Other, Steal float64
}

// cpuMeter measures one run.
type cpuMeter struct {
	start       time.Time
	stat        cpuStat
	server, own time.Duration
	serverPID   int
}

func startCPUMeter(serverPID int) cpuMeter {
	st, _ := readCPUStat()
	return cpuMeter{start: time.Now(), stat: st, server: procCPU(serverPID), own: procCPU(os.Getpid()), serverPID: serverPID}
}

// stop returns the use since start; wrk is the CPU time wrk reported.
// Other is what neither the server, wrk nor this harness used: other
// processes, and the kernel's interrupt work, which on loopback is mostly
// the benchmark's own packets (so a few hundredths of a core are normal).
func (m cpuMeter) stop(wrk time.Duration) CPUUse {
	wall := time.Since(m.start).Seconds()
	st, err := readCPUStat()
	if err != nil || wall <= 0 {
		return CPUUse{}
	}
	server := procCPU(m.serverPID) - m.server
	own := procCPU(os.Getpid()) - m.own
	busy := st.busy - m.stat.busy
	return CPUUse{
		Server: server.Seconds() / wall,
		Wrk:    wrk.Seconds() / wall,
		Other:  max(0, (busy-server-wrk-own).Seconds()/wall),
		Steal:  (st.steal - m.stat.steal).Seconds() / wall,
	}
}

// quietWaiter waits, before a run, for the machine to be nearly idle, within
// a total allowance for the whole benchmark.
type quietWaiter struct {
	left   time.Duration // of the allowance
	waited time.Duration
}

// wait samples the machine in half-second windows until one has less than
// 0.15 cores busy (not counting the harness), for at most perRun and what is
// left of the allowance. It returns how busy the last window was, in cores,
// or -1 once the allowance is spent (then it does not look).
func (q *quietWaiter) wait(perRun time.Duration) float64 {
	const window, threshold = 500 * time.Millisecond, 0.15
	limit := min(perRun, q.left)
	if limit < window {
		return -1
	}
	start := time.Now()
	defer func() { d := time.Since(start); q.waited += d; q.left -= d }()
	for {
		st0, err := readCPUStat()
		own0 := procCPU(os.Getpid())
		if err != nil {
			return 0
		}
		time.Sleep(window)
		st1, _ := readCPUStat()
		busy := max(0, (st1.busy-st0.busy-(procCPU(os.Getpid())-own0)).Seconds()/window.Seconds())
		if busy < threshold || time.Since(start)+window > limit {
			return busy
		}
	}
}
