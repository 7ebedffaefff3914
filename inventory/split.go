package inventory

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// splitMinBytes is the size from which a file is parsed in pieces: below it
// the goroutines cost more than they save.
const splitMinBytes = 1 << 20

// parseYAML parses data into a node tree as yaml.Unmarshal does. A large
// file is parsed in pieces on every core when its layout allows it
// (splitYAML); the result is then the same tree, node for node, with the
// same lines. Errors always come from yaml.Unmarshal of the whole file.
func parseYAML(data []byte) (*yaml.Node, error) {
	if procs := runtime.GOMAXPROCS(0); procs > 1 && len(data) >= splitMinBytes {
		if doc, ok := splitYAML(data, 2*procs); ok {
			return doc, nil
		}
	}
	var doc yaml.Node
	err := yaml.Unmarshal(data, &doc)
	return &doc, err
}

// yamlPiece is a stretch of a file that parses on its own: body, which
// starts at line line of the file, and, when it starts inside a top-level
// block, that block's key: the piece is then "<section>:\n" + body.
type yamlPiece struct {
	body    []byte
	line    int
	section string
	doc     yaml.Node
	err     error
}

// parse parses the piece, its lines numbered as in the file.
func (p *yamlPiece) parse() {
	var r io.Reader = bytes.NewReader(p.body)
	first := p.line
	if p.section != "" {
		r = io.MultiReader(strings.NewReader(p.section+":\n"), r)
		first--
	}
	if p.err = yaml.NewDecoder(r).Decode(&p.doc); p.err == nil && first != 1 {
		shiftLines(&p.doc, first-1)
	}
}

// splitYAML parses data in up to n pieces at the same time and joins their
// trees into the tree of the whole file. ok is false when the file's layout
// is not one it can split safely, or a piece does not parse or join as a
// part of the whole must: the caller then parses the whole file.
//
// Pieces start only where the whole file's parser is between two entries of
// a block collection whatever came before, provided the piece before
// parsed: at a top-level key at column 0 ("topics:"), or at an entry of a
// top-level block whose key stands alone on its line, at the indentation of
// the block's first entry ("  svc-1: ..." or "  - {...}"). A piece before
// such a line that ends inside a quoted scalar or a flow collection does not
// parse (its end is the end of the stream); block and plain scalars end at
// a line indented no deeper than the block's entries. So when every piece
// parses, each one's nodes are what the whole file's parser makes of the
// same lines. Anchors are the one thing pieces do not share: an alias to an
// anchor of another piece does not parse, and the whole file is parsed
// instead. Lines at column 0 must be top-level keys or comments (no
// document markers, directives or block sequences at the top).
//
// The line split cannot see quotes, so the join checks what it read: the
// block a piece's entries are appended to is at their column (a quoted
// scalar over a line "section:" can fake another block's indentation), and
// no node of the piece before is at the piece's first line (an explicit
// key's missing value is placed at the next token, there the end of its
// piece).
func splitYAML(data []byte, n int) (*yaml.Node, bool) {
	pieces, ok := splitPieces(data, n)
	if !ok || len(pieces) < 2 {
		return nil, false
	}
	var wg sync.WaitGroup
	for i := range pieces {
		wg.Go(pieces[i].parse)
	}
	wg.Wait()
	return joinPieces(pieces)
}

// shiftLines adds d to the line of every node of the tree (aliases are not
// followed: the node they point to is in the tree once).
func shiftLines(n *yaml.Node, d int) {
	n.Line += d
	for _, c := range n.Content {
		shiftLines(c, d)
	}
}

// joinPieces joins the pieces' trees into the first piece's: each piece's
// top-level keys are appended to the first piece's mapping, and the entries
// of a piece that starts inside a block to that block.
func joinPieces(pieces []yamlPiece) (*yaml.Node, bool) {
	var root *yaml.Node
	for i := range pieces {
		p := &pieces[i]
		if p.err != nil || len(p.doc.Content) != 1 {
			return nil, false
		}
		m := p.doc.Content[0]
		if m.Kind != yaml.MappingNode || m.Tag != "!!map" || m.Anchor != "" || len(m.Content) == 0 || len(m.Content)%2 != 0 {
			return nil, false
		}
		if i == 0 {
			root = m
			continue
		}
		if lastNode(root).Line >= p.line {
			// A node of the piece before at the line this piece starts
			// on: an empty value (an explicit key's) placed at the end of
			// its piece, where the whole file's parser places it at the
			// next token (the column of this piece's first entry).
			return nil, false
		}
		pairs := m.Content
		if p.section != "" {
			k, v := pairs[0], pairs[1]
			last := len(root.Content) - 1
			if last < 1 || k.Value != p.section || root.Content[last-1].Value != p.section {
				return nil, false
			}
			// The block must be the one the piece's first line is an entry
			// of: at the same column. A quoted scalar that spans a line at
			// column 0 can make the line split read another block's
			// indentation (a nested entry taken for one of the block, or
			// one the whole file's parser rejects).
			block := root.Content[last]
			if (v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode) || v.Kind != block.Kind ||
				v.Tag != block.Tag || v.Anchor != "" || block.Anchor != "" || v.Style != block.Style ||
				v.Column != block.Column {
				return nil, false
			}
			block.Content = append(block.Content, v.Content...)
			pairs = pairs[2:]
		}
		root.Content = append(root.Content, pairs...)
	}
	return &pieces[0].doc, true
}

// lastNode is the last node of n's tree in the order of the file: the
// last child's last child, and so on.
func lastNode(n *yaml.Node) *yaml.Node {
	for len(n.Content) > 0 {
		n = n.Content[len(n.Content)-1]
	}
	return n
}

// splitPieces cuts data into about n pieces at lines where it may be split
// (see splitYAML); ok is false when a line at column 0 is neither a
// top-level key nor a comment, or content comes before the first key.
func splitPieces(data []byte, n int) ([]yamlPiece, bool) {
	// Lines are counted at '\n' only: YAML also breaks them at '\r' and
	// (as yaml.v3 reads YAML 1.1) at NEL, LS and PS.
	for _, brk := range []string{"\r", "\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(data, []byte(brk)) {
			return nil, false
		}
	}
	var (
		pieces  = []yamlPiece{{line: 1}}
		start   int    // where the current piece starts
		section string // the top-level key whose block the line is in
		bare    bool   // its key stands alone on its line: entries may start pieces
		indent  int    // the indentation of its first entry, 0 before it
		dash    bool   // its entries are "- " items
		next    = len(data) / n
	)
	// cut ends the current piece at off and starts the next there, at
	// line, inside section's block (or at a top-level key with "").
	cut := func(off, line int, section string) {
		pieces[len(pieces)-1].body = data[start:off]
		pieces = append(pieces, yamlPiece{line: line, section: section})
		start, next = off, off+len(data)/n
	}
	for off, line := 0, 1; off < len(data); line++ {
		end := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			end = off + i + 1
		}
		content := bytes.TrimSuffix(data[off:end], []byte("\n"))
		sp := len(content) - len(bytes.TrimLeft(content, " "))
		switch {
		case sp == len(content), sp == 0 && content[0] == '#':
			// a blank line, a comment at column 0
		case sp == 0:
			key, rest, ok := topKey(content)
			if !ok {
				return nil, false
			}
			if off >= next && off > start {
				cut(off, line, "")
			}
			section, bare, indent, dash = key, len(bytes.TrimRight(rest, " ")) == 0, 0, false
		case section == "" && content[sp] != '#':
			return nil, false // indented content before the first key
		case !bare, content[sp] == '#':
		case indent == 0:
			// The block's first entry: "- " or a key.
			indent, dash = sp, content[sp] == '-'
			bare = entryStart(content[sp:], dash)
		case sp != indent:
		case !entryStart(content[sp:], dash):
			// An entry of another form ("? key", ": value", a tab) may
			// go on at the same indentation: no cuts in this block.
			bare = false
		case off >= next && off > start:
			cut(off, line, section)
		}
		off = end
	}
	pieces[len(pieces)-1].body = data[start:]
	return pieces, true
}

// topKey reads a top-level key line: a plain key of letters, digits, '_'
// and '-' followed by ':' and the end of the line or a space; rest is what
// follows the colon.
func topKey(line []byte) (key string, rest []byte, ok bool) {
	i := 0
	for i < len(line) && (isAlnum(line[i]) || line[i] == '_' || (i > 0 && line[i] == '-')) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' || (i+1 < len(line) && line[i+1] != ' ') {
		return "", nil, false
	}
	return string(line[:i]), line[i+1:], true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// entryStart reports whether a line at a block's entry indentation is one
// that starts a new entry whatever the entry before it: "- " in a block of
// items, a plain or quoted key in a mapping. ('?' and ':' start and continue
// an explicit key's entry, '-' in a mapping an item of a sequence that is
// the previous entry's value.)
func entryStart(s []byte, dash bool) bool {
	if dash {
		return len(s) >= 2 && s[0] == '-' && s[1] == ' '
	}
	c := s[0]
	return isAlnum(c) || c == '_' || c == '"' || c == '\''
}
