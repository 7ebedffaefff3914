package fsutil

import "testing"

func TestKernelAtLeast(t *testing.T) {
	for release, want := range map[string]bool{
		"5.8.0":                  true,
		"5.7.19":                 false,
		"5.10.0-28-amd64":        true,
		"6.1.0-18-amd64":         true,
		"4.19.0":                 false,
		"6.18.44-fc-v1147":       true,
		"5.8-rc1":                true,
		"3.10.0-1160.el7.x86_64": false,
		"":                       false,
		"6":                      false,
		"x.y":                    false,
	} {
		if got := kernelAtLeast(release, 5, 8); got != want {
			t.Errorf("kernelAtLeast(%q, 5, 8) = %v, want %v", release, got, want)
		}
	}
}
