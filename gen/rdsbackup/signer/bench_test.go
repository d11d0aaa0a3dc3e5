package signer_test

import (
	"net/http"
	"testing"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

func BenchmarkSign(b *testing.B) {
	req := newReq(b, http.MethodGet, testEndpoint+testFilesPath+"?backup_id="+testBackupID, nil)
	req.Header.Set("X-Language", "en-us")
	req.Header.Set("User-Agent", "rdsbackup-go/0.1.0")
	s := &signer.Signer{AccessKey: testAK, SecretKey: testSK, ProjectID: testProject, Now: fixedNow(testTime)}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Sign(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	req := newReq(b, http.MethodGet, testEndpoint+testFilesPath+"?backup_id="+testBackupID, nil)
	req.Header.Set("X-Language", "en-us")
	s := &signer.Signer{AccessKey: testAK, SecretKey: testSK, ProjectID: testProject, Now: fixedNow(testTime)}
	if err := s.Sign(req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := signer.Verify(req, secrets, testTime, 0); err != nil {
			b.Fatal(err)
		}
	}
}
