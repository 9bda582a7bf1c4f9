package statefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockExcludesSecondHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	started := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	first, err := Acquire(dir, started)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, started.Add(time.Minute))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: %v, want ErrLocked", err)
	}
	host, _ := os.Hostname()
	for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), host, "2026-12-04T15:00:00Z", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	st, err := os.Stat(filepath.Join(dir, LockFile))
	if err != nil || st.Mode().Perm() != FileMode {
		t.Fatalf("lock file: %v, %v; want mode %v", st.Mode().Perm(), err, FileMode)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := Acquire(dir, started.Add(2*time.Minute))
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	defer second.Release()
	raw, _ := os.ReadFile(filepath.Join(dir, LockFile))
	if !strings.Contains(string(raw), "15:02:00Z") {
		t.Errorf("lock file %q does not hold the new holder's start", raw)
	}
}

// A holder that has not written itself down yet is still a holder.
func TestLockHolderUnknown(t *testing.T) {
	if got := describe([]byte("")); !strings.Contains(got, "another process") {
		t.Errorf("describe(empty) = %q", got)
	}
	if got := describe([]byte(`{"pid":7,"host":"h","started":"2026-12-04T15:00:00Z"}`)); got != "pid 7 on h, started 2026-12-04T15:00:00Z" {
		t.Errorf("describe = %q", got)
	}
}
