//go:build linux

package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The limits of issue 19: whole-process `kafkaguard compile -o json` within
// 1.25x the floor's wall time and 1.5x its peak memory (max RSS).
const (
	timeLimit = 1.25
	memLimit  = 1.5
)

// BenchmarkCompileFloor10k: 10k principals, 50k topics, ~198k bindings.
func BenchmarkCompileFloor10k(b *testing.B) { benchFloor(b, 10_000, 50_000, 5) }

// BenchmarkCompileFloor100k: 100k principals, 200k topics, ~1.98M bindings
// (a few GiB and 20-40 s a run: a benchmark, never a test).
func BenchmarkCompileFloor100k(b *testing.B) { benchFloor(b, 100_000, 200_000, 3) }

// benchFloor builds kafkaguard and the floor, writes the generated
// inventory, and runs `kafkaguard compile -o json` and the floor on it
// alternately, runs times each: it reports the best wall time and the
// lowest max RSS of each and their ratios, after checking that both wrote
// the same bytes.
func benchFloor(b *testing.B, principals, topics, runs int) {
	if testing.Short() {
		b.Skip("builds two programs and runs each several times")
	}
	dir := b.TempDir()
	kg, floor := filepath.Join(dir, "kafkaguard"), filepath.Join(dir, "compilefloor")
	for bin, pkg := range map[string]string{kg: "github.com/kafkaguard/kafkaguard/cmd/kafkaguard", floor: "."} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	inv := filepath.Join(dir, "inventory.yaml")
	f, err := os.Create(inv)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeInventory(f, principals, topics); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}

	// Limits raised for the 100k inventory (51 MB, 3.2M nodes, 2M bindings).
	kgCmd := []string{kg, "--max-inventory-bytes", "1000000000", "--max-yaml-nodes", "100000000", "--max-bindings", "100000000",
		"compile", "-f", inv, "-o", "json", "--timeout", "30m"}
	floorCmd := []string{floor, inv}
	var kgBest, floorBest measured
	var kgSum, floorSum [sha256.Size]byte
	for b.Loop() {
		kgBest, floorBest = measured{}, measured{}
		for i := range runs {
			var r measured
			r, kgSum = measure(b, dir, kgCmd)
			kgBest = kgBest.best(r, i)
			r, floorSum = measure(b, dir, floorCmd)
			floorBest = floorBest.best(r, i)
		}
	}
	if kgSum != floorSum {
		b.Fatalf("kafkaguard compile -o json and the floor wrote different bytes")
	}
	b.ReportMetric(kgBest.wall.Seconds()/floorBest.wall.Seconds(), "x-floor")
	b.ReportMetric(timeLimit, "x-limit")
	b.ReportMetric(float64(kgBest.rss)/float64(floorBest.rss), "x-floor-mem")
	b.ReportMetric(memLimit, "x-limit-mem")
	b.ReportMetric(kgBest.wall.Seconds(), "kg-s")
	b.ReportMetric(floorBest.wall.Seconds(), "floor-s")
	b.ReportMetric(float64(kgBest.rss)/(1<<20), "kg-MiB")
	b.ReportMetric(float64(floorBest.rss)/(1<<20), "floor-MiB")
	b.ReportMetric(kgBest.cpu.Seconds(), "kg-cpu-s")
	b.ReportMetric(floorBest.cpu.Seconds(), "floor-cpu-s")
}

// measured is one process run: wall time, user+system CPU, max RSS.
type measured struct {
	wall, cpu time.Duration
	rss       int64 // bytes
}

// best keeps the lowest of each measure over the runs (i counts them).
func (r measured) best(o measured, i int) measured {
	if i == 0 {
		return o
	}
	return measured{wall: min(r.wall, o.wall), cpu: min(r.cpu, o.cpu), rss: min(r.rss, o.rss)}
}

// measure runs argv with its output in a file of dir and returns the run
// and the output's SHA-256.
func measure(b *testing.B, dir string, argv []string) (measured, [sha256.Size]byte) {
	out, err := os.Create(filepath.Join(dir, "out.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", filepath.Base(argv[0]), err, stderr.Bytes())
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := measured{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), rss: ru.Maxrss << 10} // KiB on Linux
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, out)
	if err != nil {
		b.Fatal(err)
	}
	if n == 0 {
		b.Fatalf("%s wrote nothing", filepath.Base(argv[0]))
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return r, sum
}
