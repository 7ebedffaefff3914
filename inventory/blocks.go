package inventory

import (
	"sync"

	"gopkg.in/yaml.v3"
)

// concurrentBlockNodes is the size (nodes directly in the block) from which
// a file's topics and grants blocks are walked on goroutines of their own.
const concurrentBlockNodes = 4096

// blockRuns walks the large topics and grants blocks of one file beside the
// rest of its walk. Each touches only its own state until the file is done
// (the topics map; the grants and their binding count), and the errors are
// reported in file order, so the result is the sequential walk's.
type blockRuns struct {
	wg   sync.WaitGroup
	errs []*error // the blocks' errors, in file order
}

// run walks a block: on its own goroutine when it is large, now otherwise.
func (b *blockRuns) run(n *yaml.Node, walk func() error) error {
	if len(n.Content) < concurrentBlockNodes {
		return walk()
	}
	err := new(error)
	b.errs = append(b.errs, err)
	b.wg.Go(func() { *err = walk() })
	return nil
}

// wait waits for the blocks and returns the file's first error: a block's
// comes before err, what stopped the rest of the walk (which went on past
// every block that was started).
func (b *blockRuns) wait(err error) error {
	b.wg.Wait()
	for _, e := range b.errs {
		if *e != nil {
			return *e
		}
	}
	return err
}
