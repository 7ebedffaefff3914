package cluster

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
)

// crafted54 is the red team's 54-byte JKS: one trusted-certificate entry
// whose certificate length says 4 GiB.
func crafted54() []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.BigEndian, v) }
	w(uint32(0xFEEDFEED))
	w(uint32(2)) // version
	w(uint32(1)) // one entry
	w(uint32(2)) // trusted certificate
	w(uint16(1))
	b.WriteString("a")
	w(uint64(0)) // date
	w(uint16(5))
	b.WriteString("X.509")
	w(uint32(0xFFFFFFF0)) // certificate length: 4 GiB
	b.Write(make([]byte, 54-b.Len()))
	return b.Bytes()
}

func TestJKSWithImpossibleLengthIsRefusedWithoutAllocating(t *testing.T) {
	data := crafted54()
	if len(data) != 54 {
		t.Fatalf("crafted file is %d bytes", len(data))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, err := readJKS(data, "changeit", "", false)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "certificate needs 4294967280 bytes at offset 38, the file has 16 left") {
		t.Fatalf("err = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Fatalf("allocated %d MB", grew>>20)
	}
}

func TestJKSLengthCheckRefusesHugeCounts(t *testing.T) {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, []uint32{0xFEEDFEED, 2, 0xFFFFFFFF})
	if err := checkJKSLengths(b.Bytes()); err == nil || !strings.Contains(err.Error(), "4294967295 entries") {
		t.Fatalf("err = %v", err)
	}
	// A key entry with a huge chain count.
	b.Reset()
	binary.Write(&b, binary.BigEndian, []uint32{0xFEEDFEED, 2, 1, 1})
	binary.Write(&b, binary.BigEndian, uint16(0))
	binary.Write(&b, binary.BigEndian, uint64(0))
	binary.Write(&b, binary.BigEndian, []uint32{0, 0x7FFFFFFF})
	b.Write(make([]byte, 20))
	if err := checkJKSLengths(b.Bytes()); err == nil || !strings.Contains(err.Error(), "a chain of 2147483647 certificates") {
		t.Fatalf("err = %v", err)
	}
}
