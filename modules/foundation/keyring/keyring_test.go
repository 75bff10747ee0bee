package keyring_test

import (
	"testing"

	"github.com/speks-portal/speks/modules/foundation/keyring"
)

func TestRingOrderAndIDs(t *testing.T) {
	r := keyring.New("new-key", "", "old-key", "new-key")
	if r.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (empty and repeated keys left out)", r.Len())
	}
	if string(r.Newest()) != "new-key" || string(r.Oldest()) != "old-key" {
		t.Fatalf("newest %q oldest %q", r.Newest(), r.Oldest())
	}
	if r.NewestID() != keyring.ID([]byte("new-key")) || len(r.NewestID()) != 8 {
		t.Fatalf("NewestID = %q", r.NewestID())
	}
	if keyring.ID([]byte("new-key")) == keyring.ID([]byte("old-key")) {
		t.Fatal("two keys share an ID")
	}
	if k, ok := r.Find(keyring.ID([]byte("old-key"))); !ok || string(k) != "old-key" {
		t.Fatalf("Find(old) = %q, %v", k, ok)
	}
	if _, ok := r.Find(keyring.ID([]byte("removed-key"))); ok {
		t.Fatal("found a key that is not in the ring")
	}
	var empty keyring.Ring
	if empty.Newest() != nil || empty.Oldest() != nil || empty.NewestID() != "" {
		t.Fatal("empty ring has a key")
	}
}
