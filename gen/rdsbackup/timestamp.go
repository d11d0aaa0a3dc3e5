package rdsbackup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// TimestampLayout is the documented layout of link_expired_time in Go's notation:
// yyyy-mm-ddThh:mm:ss±hhmm, a four-digit zone offset with no colon (not RFC 3339).
const TimestampLayout = "2006-01-02T15:04:05-0700"

// TimestampLayoutHuman is TimestampLayout as the provider's documentation writes it, for messages.
const TimestampLayoutHuman = "yyyy-mm-ddThh:mm:ss±hhmm"

// LinkExpiredTime is the link_expired_time field of a backup file.
//
// It never fails JSON decoding, whatever the provider sends: it keeps the JSON value exactly as
// received and writes it back byte for byte. Time parses it on demand, accepting both the
// documented form (2018-08-16T10:15:14+0800) and RFC 3339 (2018-08-16T10:15:14+08:00); the
// contract suite uses CheckTimestamp, which accepts only the documented form.
type LinkExpiredTime struct {
	raw []byte // the JSON value as received (a quoted string, normally)
}

// NewLinkExpiredTime returns the documented representation of t (t's own zone offset is kept).
func NewLinkExpiredTime(t time.Time) LinkExpiredTime {
	b := make([]byte, 0, len(TimestampLayout)+2)
	b = append(b, '"')
	b = t.AppendFormat(b, TimestampLayout)
	b = append(b, '"')
	return LinkExpiredTime{raw: b}
}

// LinkExpiredTimeFromString returns a LinkExpiredTime holding s as a JSON string, as is.
func LinkExpiredTimeFromString(s string) LinkExpiredTime {
	b, _ := json.Marshal(s) // marshalling a string cannot fail
	return LinkExpiredTime{raw: b}
}

// UnmarshalJSON keeps data as received. It never returns an error.
func (l *LinkExpiredTime) UnmarshalJSON(data []byte) error {
	l.raw = append(l.raw[:0], data...)
	return nil
}

// MarshalJSON writes back the value exactly as it was received (null when there is none).
func (l LinkExpiredTime) MarshalJSON() ([]byte, error) {
	if len(l.raw) == 0 {
		return []byte("null"), nil
	}
	return l.raw, nil
}

// Raw returns the JSON value as received (nil when the field was absent).
func (l LinkExpiredTime) Raw() []byte { return l.raw }

// IsString reports whether the received JSON value is a string.
func (l LinkExpiredTime) IsString() bool {
	return len(l.raw) >= 2 && l.raw[0] == '"'
}

// String returns the received string, or the raw JSON text when the value is not a string.
func (l LinkExpiredTime) String() string {
	if l.IsString() {
		var s string
		if err := json.Unmarshal(l.raw, &s); err == nil {
			return s
		}
	}
	return string(bytes.TrimSpace(l.raw))
}

// Time parses the value. It accepts the documented form (yyyy-mm-ddThh:mm:ss±hhmm) and RFC 3339.
// The error says what was received and which layouts were expected.
func (l LinkExpiredTime) Time() (time.Time, error) {
	if !l.IsString() {
		return time.Time{}, &TimestampError{Value: l.String(), Reason: "not a JSON string"}
	}
	s := l.String()
	if t, err := time.Parse(TimestampLayout, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, &TimestampError{Value: s, Reason: "matches neither " + TimestampLayoutHuman + " nor RFC 3339"}
}

// TimestampError says why a link_expired_time value was not accepted.
type TimestampError struct {
	Value  string // the value received
	Reason string // what is wrong with it
}

func (e *TimestampError) Error() string {
	v := e.Value
	if len(v) > 64 {
		v = v[:64] + "…"
	}
	return fmt.Sprintf("timestamp %q: %s (expected %s, e.g. 2018-08-16T10:15:14+0800)", v, e.Reason, TimestampLayoutHuman)
}

// CheckTimestamp is the strict check of the contract suite: s must be exactly
// yyyy-mm-ddThh:mm:ss±hhmm (digits where the layout has letters), a real calendar date and
// time of day, with a zone offset within ±14:00 and minutes below 60. It returns a
// *TimestampError naming the first problem, or nil.
func CheckTimestamp(s string) error {
	const n = len("2006-01-02T15:04:05+0700")
	fail := func(reason string) error { return &TimestampError{Value: s, Reason: reason} }
	if len(s) != n {
		return fail(fmt.Sprintf("has %d characters, the layout has %d", len(s), n))
	}
	for i := 0; i < n; i++ {
		c := s[i]
		switch i {
		case 4, 7:
			if c != '-' {
				return fail(fmt.Sprintf("character %d is %q, expected '-'", i+1, c))
			}
		case 10:
			if c != 'T' {
				return fail(fmt.Sprintf("character %d is %q, expected 'T'", i+1, c))
			}
		case 13, 16:
			if c != ':' {
				return fail(fmt.Sprintf("character %d is %q, expected ':'", i+1, c))
			}
		case 19:
			if c != '+' && c != '-' {
				return fail(fmt.Sprintf("character %d is %q, expected '+' or '-' before a four-digit offset", i+1, c))
			}
		default:
			if c < '0' || c > '9' {
				return fail(fmt.Sprintf("character %d is %q, expected a digit", i+1, c))
			}
		}
	}
	num := func(a, b int) int {
		v := 0
		for _, c := range s[a:b] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	offH, offM := num(20, 22), num(22, 24)
	switch {
	case month < 1 || month > 12:
		return fail(fmt.Sprintf("month %02d is not 01-12", month))
	case day < 1 || day > daysIn(time.Month(month), year):
		return fail(fmt.Sprintf("day %02d does not exist in %04d-%02d", day, year, month))
	case hour > 23:
		return fail(fmt.Sprintf("hour %02d is not 00-23", hour))
	case minute > 59:
		return fail(fmt.Sprintf("minute %02d is not 00-59", minute))
	case sec > 59:
		return fail(fmt.Sprintf("second %02d is not 00-59", sec))
	case offM > 59:
		return fail(fmt.Sprintf("offset minutes %02d are not 00-59", offM))
	case offH*60+offM > 14*60:
		return fail(fmt.Sprintf("offset %s is beyond ±14:00", s[19:]))
	}
	return nil
}

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
