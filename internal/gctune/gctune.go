// Package gctune sets the garbage collector of a kafkaguard process for the
// inventory it loads.
//
// Go's default (GOGC=100) collects each time the heap doubles: a compile
// that builds a YAML node tree, an inventory, a policy input and its ACLs
// collects eight times at 10k principals (a dozen at 100k) while most of
// what it holds is still live, marking the node tree again and again just
// before it becomes garbage, and its write barriers slow the parse while
// it runs. Once the process has opted in (Enable: cmd/kafkaguard does,
// tests do not), ForInput lets the heap grow to a budget sized from the
// inventory before it collects, and Collect collects at the one moment
// that is cheap: when the node tree has just become garbage.
//
// It never collects more often than the default would: the memory limit
// is the larger of the budget and twice the heap live after the last
// collection (the default's own goal), so an inventory whose live heap
// passes the budget is collected at the default's pace, and the collector
// never spins against a limit it cannot get under. GOGC or GOMEMLIMIT in
// the environment leave the process to the runtime's settings.
package gctune

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// BudgetPerByte is the heap budget per byte of inventory: parsing YAML
// builds about 18 bytes of node tree per byte of file and the walk, the
// inventory and the garbage of both come on top before the tree is
// dropped (a plain Go program that only parses the file and expands its
// grants, internal/tools/compilefloor, peaks at about 28 bytes of memory
// per byte of file).
const BudgetPerByte = 36

// minBudget leaves a small inventory at the default pace: its collections
// cost nothing worth saving.
const minBudget = 64 << 20

// state is the process's setting: ForInput and Collect change nothing
// until Enable.
var state struct {
	sync.Mutex
	enabled bool
	active  bool  // a budget is in force
	budget  int64 // the largest budget asked for
}

// Enable lets ForInput and Collect set the collector of this process: for
// a process that runs one command (the CLI), not a library or a test
// binary, where the default is left alone.
func Enable() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	state.Lock()
	defer state.Unlock()
	state.enabled = true
}

// ForInput sets the collector for loading and compiling an inventory of
// size bytes, until the process ends: no collection before the heap
// reaches the budget (size × BudgetPerByte), or twice the heap live after
// the last collection if that is more. Several inventories (an audit of
// several clusters) keep the largest budget. Nothing changes unless the
// process is enabled, or below the minimum budget.
func ForInput(size int64) {
	if size <= 0 || size > math.MaxInt64/(4*BudgetPerByte) || size*BudgetPerByte < minBudget {
		return
	}
	state.Lock()
	defer state.Unlock()
	if !state.enabled {
		return
	}
	state.budget = max(state.budget, size*BudgetPerByte)
	if !state.active {
		state.active = true
		debug.SetGCPercent(-1)
		arm()
	}
	setLimit()
}

// Collect collects now when a budget is in force: at a moment when a large
// structure has just become garbage (the YAML node tree once the inventory
// is read), so that the collection marks only what is left and the heap
// starts again from it. Otherwise it does nothing.
func Collect() {
	state.Lock()
	active := state.active
	state.Unlock()
	if active {
		runtime.GC()
	}
}

// setLimit sets the memory limit to the budget or twice the heap live after
// the last collection, whichever is more. The caller holds state's lock.
func setLimit() {
	debug.SetMemoryLimit(max(state.budget, 2*liveHeap()))
}

// liveHeap is the heap the last collection found live (0 before one).
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(min(s[0].Value.Uint64(), math.MaxInt64/4))
}

// sentinel is an object that is garbage as soon as it is made: its cleanup
// runs after the collection that finds it and arms the next one. (It holds
// a pointer, so it is not one of the tiny objects that share a block and
// whose cleanups may never run.)
type sentinel struct {
	_ *sentinel
	_ [8]byte
}

// arm has the limit set again after the next collection.
func arm() {
	runtime.AddCleanup(new(sentinel), func(struct{}) { afterGC() }, struct{}{})
}

func afterGC() {
	state.Lock()
	defer state.Unlock()
	if state.active {
		setLimit()
		arm()
	}
}
