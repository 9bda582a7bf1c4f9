package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// --log-path files are the owner's alone, also one an earlier version left readable by all.
func TestLogFileMode(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "new.log"), filepath.Join(dir, "old.log")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fresh, old} {
		if _, err := (LogFlags{LogLevel: "info", LogFormat: "json", LogPath: path}).Logger(io.Discard, nil); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(path), fi.Mode().Perm())
		}
	}
}
