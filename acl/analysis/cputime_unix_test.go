//go:build unix

package analysis

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (user + system), so the
// figures mean something on a machine shared with other work, where wall
// time is mostly waiting for a core. The garbage collector's work counts.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
