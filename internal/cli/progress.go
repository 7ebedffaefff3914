package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressInterval is how often a progress line is redrawn at most.
const progressInterval = 100 * time.Millisecond

// progressLine is the progress of long work on stderr (DESIGN: long work
// shows progress on stderr when stderr is a terminal): one line,
// "kafkaguard: WHAT DONE/TOTAL", redrawn in place and cleared when the work
// is done, so the summary line that follows starts on a clean line. It is
// the one implementation behind apply, pki renew, users rotate and verify,
// and audit's logins. Safe for concurrent use.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	shown bool // a line is on the terminal and not yet cleared
}

// initProgress sets up the progress line when stderr is a terminal, and
// routes stderr (and stdout when it is the terminal too) through it, so that
// every other line written there (logs, -v request logs, results, the
// summary, an error) clears the progress line first instead of running on
// after it; the next report draws the line again below.
func (e *env) initProgress() {
	if !e.stderrTTY || e.prog != nil {
		return
	}
	e.prog = &progressLine{w: e.stderr}
	e.stderr = e.prog.above(e.stderr)
	if e.stdoutTTY {
		e.stdout = e.prog.above(e.stdout)
	}
}

// progress is the progress line, or nil when stderr is not a terminal: a nil
// *progressLine reports nothing and its funcs are nil.
func (e *env) progress() *progressLine {
	e.initProgress()
	return e.prog
}

// report shows that done of total steps of what are done: the first step,
// then at most every progressInterval; done == total clears the line.
func (p *progressLine) report(what string, done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if done >= total {
		p.clearLocked()
		return
	}
	if now := time.Now(); !p.shown || now.Sub(p.last) >= progressInterval {
		fmt.Fprintf(p.w, "\r\033[Kkafkaguard: %s %d/%d", what, done, total)
		p.last, p.shown = now, true
	}
}

// fn is report for one kind of work, as the func(done, total) callbacks of
// the packages take it; nil when p is.
func (p *progressLine) fn(what string) func(done, total int) {
	if p == nil {
		return nil
	}
	return func(done, total int) { p.report(what, done, total) }
}

// finish clears the line if work stopped before it was done (an error), so
// the error starts on a clean line.
func (p *progressLine) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}

func (p *progressLine) clearLocked() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// above wraps w (stderr, or stdout on the same terminal) so that what is
// written to it clears the progress line first and does not run on after it.
// w itself when p is nil.
func (p *progressLine) above(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return progressAbove{p: p, w: w}
}

type progressAbove struct {
	p *progressLine
	w io.Writer
}

func (a progressAbove) Write(b []byte) (int, error) {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	a.p.clearLocked()
	return a.w.Write(b)
}
