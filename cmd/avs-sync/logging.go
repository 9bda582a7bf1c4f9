package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"
	"golang.org/x/term"
)

// LogFlags choose the log format and level. The original tool's --log.level, --log.format and
// --log.path spellings are accepted too.
type LogFlags struct {
	LogLevel  string `name:"log-level" default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn, error."`
	LogFormat string `name:"log-format" default:"auto" enum:"auto,text,json" help:"Log format: auto (colour on a terminal, JSON otherwise), text, json."`
	LogPath   string `name:"log-path" type:"path" placeholder:"FILE" help:"Also append logs to this file."`
}

// Logger builds the process logger writing to w; replace rewrites every attribute (scrubbing).
func (f LogFlags) Logger(w io.Writer, replace func([]string, slog.Attr) slog.Attr) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(f.LogLevel))); err != nil {
		return nil, fmt.Errorf("bad --log-level %q: %w", f.LogLevel, err)
	}
	format := f.LogFormat
	if format == "auto" {
		format = "json"
		if file, ok := w.(*os.File); ok && term.IsTerminal(int(file.Fd())) && f.LogPath == "" {
			format = "text"
		}
	}
	if f.LogPath != "" {
		// Only the owner reads the log: it names the sender, the node's host and every decision.
		file, err := os.OpenFile(f.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open --log-path: %w", err)
		}
		if fi, err := file.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
			// A file an earlier version created readable by all; one of another owner stays as it is.
			_ = file.Chmod(0o600)
		}
		w = io.MultiWriter(w, file)
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replace})), nil
	}
	return slog.New(tint.NewTextHandler(w, &tint.Options{Level: level, TimeFormat: time.TimeOnly, ReplaceAttr: replace})), nil
}
