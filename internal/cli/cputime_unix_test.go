//go:build unix

package cli

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the test process has used so
// far: with a benchmark's wall time, it tells work from waiting for a core
// on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
