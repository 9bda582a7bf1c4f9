package devnet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gofrs/flock"
)

// A devnet's data directory outlives a killed process; the next devnet removes it once no node
// holds its lock, and leaves those of running nodes and of nodes not started yet.
func TestAbandonedDataDirsRemoved(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, lock bool) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Join(dir, "node"), 0o700); err != nil {
			t.Fatal(err)
		}
		if lock {
			if err := os.WriteFile(filepath.Join(dir, "node", "LOCK"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	killed := mk(dataDirPrefix+"killed", true)
	running := mk(dataDirPrefix+"running", true)
	starting := mk(dataDirPrefix+"starting", false)
	other := mk("other-killed", true)
	held := flock.New(filepath.Join(running, "node", "LOCK"))
	if ok, err := held.TryLock(); err != nil || !ok {
		t.Fatalf("lock %v %v", ok, err)
	}
	defer held.Unlock()

	removeAbandoned(root)

	for dir, want := range map[string]bool{killed: false, running: true, starting: true, other: true} {
		_, err := os.Stat(dir)
		if got := err == nil; got != want {
			t.Errorf("%s: exists %v, want %v (%v)", filepath.Base(dir), got, want, err)
		}
	}
}

// A devnet's data directory is gone once it closes.
func TestDataDirRemovedOnClose(t *testing.T) {
	d, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.dir); err != nil {
		t.Fatalf("data directory: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.dir); !os.IsNotExist(err) {
		t.Fatalf("data directory after Close: %v", err)
	}
}
