package submitter

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/Layr-Labs/eigensdk-go/logging"
)

// NewSDKLogger adapts l to the SDK's logging.Logger, so that the SDK's transaction manager,
// wallets and clients log through the process's handler. nil discards.
func NewSDKLogger(l *slog.Logger) logging.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return sdkLogger{l: l}
}

// sdkLogger implements logging.Logger on a *slog.Logger, reporting the SDK's call site as source.
type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Debug(msg string, tags ...any) { s.log(slog.LevelDebug, msg, tags) }
func (s sdkLogger) Info(msg string, tags ...any)  { s.log(slog.LevelInfo, msg, tags) }
func (s sdkLogger) Warn(msg string, tags ...any)  { s.log(slog.LevelWarn, msg, tags) }
func (s sdkLogger) Error(msg string, tags ...any) { s.log(slog.LevelError, msg, tags) }

// Fatal logs at error level and exits, as the interface promises; the SDK code this package uses
// never calls it.
func (s sdkLogger) Fatal(msg string, tags ...any) {
	s.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

func (s sdkLogger) Debugf(format string, args ...any) { s.logf(slog.LevelDebug, format, args) }
func (s sdkLogger) Infof(format string, args ...any)  { s.logf(slog.LevelInfo, format, args) }
func (s sdkLogger) Warnf(format string, args ...any)  { s.logf(slog.LevelWarn, format, args) }
func (s sdkLogger) Errorf(format string, args ...any) { s.logf(slog.LevelError, format, args) }

// Fatalf logs at error level and exits, as the interface promises.
func (s sdkLogger) Fatalf(format string, args ...any) {
	s.logf(slog.LevelError, format, args)
	os.Exit(1)
}

func (s sdkLogger) With(tags ...any) logging.Logger {
	return sdkLogger{l: s.l.With(normalizeTags(tags)...)}
}

func (s sdkLogger) log(level slog.Level, msg string, tags []any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.emit(level, msg, normalizeTags(tags))
}

func (s sdkLogger) logf(level slog.Level, format string, args []any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.emit(level, fmt.Sprintf(format, args...), nil)
}

func (s sdkLogger) emit(level slog.Level, msg string, attrs []any) {
	var pcs [1]uintptr
	runtime.Callers(4, pcs[:]) // skip Callers, emit, log/logf, Info/Debug/...
	r := slog.NewRecord(time.Now(), level, msg, pcs[0])
	r.Add(attrs...)
	_ = s.l.Handler().Handle(context.Background(), r)
}

// normalizeTags turns the SDK's occasional bare error argument (Warn("msg", err, "k", v)) into
// an "err" attribute instead of slog's !BADKEY.
func normalizeTags(tags []any) []any {
	out := make([]any, 0, len(tags)+1)
	for i := 0; i < len(tags); i++ {
		switch t := tags[i].(type) {
		case error:
			out = append(out, "err", t)
		case string, slog.Attr:
			out = append(out, t)
			if _, isKey := t.(string); isKey && i+1 < len(tags) {
				out = append(out, tags[i+1])
				i++
			}
		default:
			out = append(out, "arg", t)
		}
	}
	return out
}
