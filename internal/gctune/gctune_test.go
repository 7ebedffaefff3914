package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// reset puts the process back to the runtime's defaults after a test and
// forgets what the package set.
func reset(t *testing.T) {
	t.Helper()
	percent, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(percent)
	t.Cleanup(func() {
		state.Lock()
		state.enabled, state.active, state.budget = false, false, 0
		state.Unlock()
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

// settings reads the collector's settings without changing them.
func settings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func unsetenv(t *testing.T, key string) {
	t.Helper()
	if v, ok := os.LookupEnv(key); ok {
		t.Cleanup(func() { os.Setenv(key, v) })
		os.Unsetenv(key)
	}
}

func TestNothingChangesUnlessEnabled(t *testing.T) {
	reset(t)
	percent, limit := settings()
	ForInput(10 << 20)
	Collect()
	if p, l := settings(); p != percent || l != limit {
		t.Fatalf("without Enable: GOGC %d, limit %d; want %d, %d", p, l, percent, limit)
	}
}

func TestEnvironmentWins(t *testing.T) {
	for _, key := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(key, func(t *testing.T) {
			reset(t)
			percent, limit := settings()
			t.Setenv(key, map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}[key])
			Enable()
			ForInput(10 << 20)
			if p, l := settings(); p != percent || l != limit {
				t.Fatalf("%s set: GOGC %d, limit %d; want %d, %d", key, p, l, percent, limit)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	reset(t)
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	Enable()
	percent, limit := settings()
	ForInput(100) // under the minimum budget
	if p, l := settings(); p != percent || l != limit {
		t.Fatalf("a small inventory: GOGC %d, limit %d; want %d, %d", p, l, percent, limit)
	}
	const size = 8 << 20
	ForInput(size)
	if p, l := settings(); p != -1 || l < size*BudgetPerByte {
		t.Fatalf("GOGC %d, limit %d; want off, at least %d", p, l, size*BudgetPerByte)
	}
	ForInput(size / 2) // a smaller inventory keeps the larger budget
	if _, l := settings(); l < size*BudgetPerByte {
		t.Fatalf("limit %d after a smaller inventory; want at least %d", l, size*BudgetPerByte)
	}
}

// TestLimitFollowsTheLiveHeap: a live heap larger than half the budget
// raises the limit to twice it after the next collection, so the collector
// never runs more often than the default would (and never spins against a
// limit under the live heap).
func TestLimitFollowsTheLiveHeap(t *testing.T) {
	reset(t)
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	Enable()
	ForInput(minBudget/BudgetPerByte + 1)
	live := make([][]byte, 0, 96)
	for range 96 { // 96 MiB of pointers to keep: more than half the budget
		live = append(live, make([]byte, 1<<20))
	}
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, l := settings()
		if l >= 2*96<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("limit %d after a collection with 96 MiB live; want at least %d", l, 2*96<<20)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
}

func TestCollect(t *testing.T) {
	reset(t)
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	Enable()
	cycles := func() uint32 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.NumGC
	}
	runtime.GC() // the next collection of the runtime's own is far off
	before := cycles()
	Collect() // no budget in force: nothing to do
	if n := cycles(); n != before {
		t.Fatalf("Collect without a budget collected (%d cycles, want %d)", n, before)
	}
	ForInput(8 << 20)
	before = cycles()
	Collect()
	if n := cycles(); n <= before {
		t.Fatalf("Collect with a budget in force did not collect")
	}
}
