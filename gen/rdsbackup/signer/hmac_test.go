package signer

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// TestHMACMatchesCryptoHMAC: the allocation-free HMAC equals crypto/hmac for
// keys shorter than, equal to and longer than the SHA-256 block.
func TestHMACMatchesCryptoHMAC(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, msg string }{
		{"", ""},
		{"SecretKey", "SDK-HMAC-SHA256\n20060102T150405Z\n" + strings.Repeat("a", 64)},
		{strings.Repeat("k", 63), "m"},
		{strings.Repeat("k", 64), "message"},
		{strings.Repeat("k", 65), "message"},
		{strings.Repeat("long key ", 30), strings.Repeat("long message ", 40)}, // msg beyond the stack buffer
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("key%d_msg%d", len(tc.key), len(tc.msg)), func(t *testing.T) {
			t.Parallel()
			m := hmac.New(sha256.New, []byte(tc.key))
			m.Write([]byte(tc.msg))
			want := m.Sum(nil)
			if got := hmacSHA256(tc.key, []byte(tc.msg)); !bytes.Equal(got[:], want) {
				t.Errorf("hmacSHA256 = %x, want %x", got, want)
			}
		})
	}
}
