package planner

import (
	"fmt"
	"time"
)

// TimeOfDay is a time of day in UTC, written HH:MM:SS as the --first-sync-time flag takes it.
// The zero value is unset.
type TimeOfDay struct {
	// offset is the time since midnight UTC, in [0, 24h); meaningful only when set.
	offset time.Duration
	set    bool
}

// ParseTimeOfDay parses "HH:MM:SS" (24-hour clock, UTC); the empty string gives the unset value.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	if s == "" {
		return TimeOfDay{}, nil
	}
	t, err := time.Parse(time.TimeOnly, s)
	if err != nil {
		return TimeOfDay{}, fmt.Errorf("parse time of day %q (want HH:MM:SS): %w", s, err)
	}
	offset := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second
	return TimeOfDay{offset: offset, set: true}, nil
}

// UnmarshalText lets flag parsers such as kong fill a TimeOfDay directly.
func (t *TimeOfDay) UnmarshalText(text []byte) error {
	v, err := ParseTimeOfDay(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// IsSet reports whether a time of day was given.
func (t TimeOfDay) IsSet() bool { return t.set }

// String formats the time as HH:MM:SS, or "" when unset.
func (t TimeOfDay) String() string {
	if !t.set {
		return ""
	}
	return time.Time{}.Add(t.offset).Format(time.TimeOnly)
}

// Next returns the first instant at or after from that falls on t, in UTC.
func (t TimeOfDay) Next(from time.Time) time.Time {
	u := from.UTC()
	at := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC).Add(t.offset)
	if at.Before(u) {
		at = at.AddDate(0, 0, 1)
	}
	return at
}
