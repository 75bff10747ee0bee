package web

import "testing"

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 860: "860 B", 999: "999 B", 1000: "1.0 KB", 1024: "1.0 KB", 1536: "1.5 KB",
		1023 << 10: "1.0 MB", 13066240: "12.5 MB", 5 << 30: "5.0 GB", 3 << 40: "3.0 TB", 5000 << 40: "5000.0 TB",
	} {
		if got := HumanSize(n); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
