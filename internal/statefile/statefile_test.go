package statefile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestWritePermissions(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	tests := []struct {
		name string
		dir  func(root string) string
	}{
		{"missing directory", func(root string) string { return filepath.Join(root, "state") }},
		{"missing parents", func(root string) string { return filepath.Join(root, "a", "b", "state") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := tt.dir(root)
			if err := Write(dir, "x.json", []byte("{}\n")); err != nil {
				t.Fatal(err)
			}
			for p := dir; p != root; p = filepath.Dir(p) {
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := st.Mode().Perm(); got != DirMode {
					t.Errorf("%s: mode %v, want %v", p, got, DirMode)
				}
			}
			st, err := os.Stat(filepath.Join(dir, "x.json"))
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != FileMode {
				t.Errorf("file mode %v, want %v", got, FileMode)
			}
		})
	}
}

// A file that was world-readable is replaced by one that is not.
func TestWriteReplacesLooseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, "x.json", []byte("new")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil || string(raw) != "new" {
		t.Fatalf("content %q, %v; want new", raw, err)
	}
	st, _ := os.Stat(path)
	if got := st.Mode().Perm(); got != FileMode {
		t.Errorf("file mode %v, want %v", got, FileMode)
	}
}

// Writers racing on one file, as two processes on one state directory would: every write
// succeeds, every read in between sees one writer's whole content, and no temporary file is
// left behind.
func TestConcurrentWritersNeverTear(t *testing.T) {
	dir := t.TempDir()
	const writers, rounds = 4, 25
	payload := func(w, r int) []byte {
		// Large enough to take more than one write call's worth of page cache.
		return []byte(fmt.Sprintf("%d/%d:", w, r) + strings.Repeat(fmt.Sprint(w), 64<<10) + "\n")
	}
	valid := func(raw []byte) bool {
		head, body, ok := bytes.Cut(raw, []byte(":"))
		if !ok {
			return false
		}
		var w, r int
		if _, err := fmt.Sscanf(string(head), "%d/%d", &w, &r); err != nil {
			return false
		}
		return bytes.Equal(raw, payload(w, r)) && len(body) > 0
	}
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	var reads int
	go func() {
		defer close(readErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			raw, err := os.ReadFile(filepath.Join(dir, "x.json"))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				readErr <- err
				return
			}
			reads++
			if !valid(raw) {
				readErr <- fmt.Errorf("torn read of %d bytes", len(raw))
				return
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				if err := Write(dir, "x.json", payload(w, r)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Errorf("write: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only x.json", names)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "x.json"))
	if !valid(raw) {
		t.Fatal("final file torn")
	}
	t.Logf("%d writers x %d writes, %d whole reads between them", writers, rounds, reads)
}
