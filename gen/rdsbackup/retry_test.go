package rdsbackup

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetryAfterValues: seconds and dates within the cap are waited; values that cannot be
// waited (negative, too large to represent, beyond the cap, a date far ahead) are longer than
// the cap; anything else is no Retry-After at all.
func TestRetryAfterValues(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"1", time.Second, true},
		{" 30 ", 30 * time.Second, true},
		{"60", 60 * time.Second, true},
		{"61", tooLong, true},
		{"3600", tooLong, true},
		{"10000000000", tooLong, true}, // × time.Second overflows int64
		{"9223372036854775807", tooLong, true},
		{"99999999999999999999", tooLong, true}, // beyond int64
		{"-1", tooLong, true},
		{"-99999999999999999999", tooLong, true},
		{"+5", 5 * time.Second, true},
		{"soon", 0, false},
		{"1.5", 0, false},
		{"-", 0, false},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(2 * time.Minute).Format(http.TimeFormat), tooLong, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", tooLong, true},
	}
	for _, tc := range tests {
		got, ok := retryAfter(tc.value, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.wantOK)
		}
	}
}

// TestRetryAfterTooLongIsNotWaited: a 429 whose Retry-After cannot be waited (too large to
// represent, beyond the cap, negative, a date far ahead) goes back to the caller at once:
// exactly one request reaches the server and the caller gets the 429 as an *APIError.
func TestRetryAfterTooLongIsNotWaited(t *testing.T) {
	t.Parallel()
	for _, value := range []string{
		"10000000000",
		"99999999999999999999",
		"9223372036854775807",
		"-1",
		"3600",
		"Fri, 31 Dec 9999 23:59:59 GMT",
		time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat),
	} {
		t.Run(value, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.Header().Set("Retry-After", value)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"error_code":"APIG.0308","error_msg":"throttled"}`)
			}))
			t.Cleanup(srv.Close)
			api, err := New(WithEndpoint(srv.URL), WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), WithToken("TOKEN-SECRET"),
				WithRetries(3, time.Millisecond), WithTimeout(0)) // no deadline: only the cap stops a wait
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = api.ShowBackupDownloadLink(context.Background(), "b")
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests || ae.Code != "APIG.0308" {
				t.Fatalf("err = %v, want the 429 as an *APIError", err)
			}
			if got := n.Load(); got != 1 {
				t.Errorf("%d requests reached the server, want exactly 1", got)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("the call took %v", d)
			}
		})
	}
}
