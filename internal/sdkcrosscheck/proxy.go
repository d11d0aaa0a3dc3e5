package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/httphandler"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	rds "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rds/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rds/v3/model"

	"github.com/rdskit/rdsbackup/contract/fake"
)

// proxyCAName is the common name of rdsproxy's CA (internal/certs, cmd/rdsproxy setup): the
// issuer of every certificate it shows its clients.
const proxyCAName = "rdsproxy CA"

// sdkThroughProxy drives the SDK's ShowBackupDownloadLink through rdsproxy --mitm (built from
// the main module and run as a child process) to rdsfake with TLS and AK/SK:
//
//   - the SDK's own WithProxy path (SDK v0.1.207: a transport with the system roots only,
//     HttpConfig has no CA setting) reaches the proxy and refuses its certificate, so TLS
//     verification is on and the proxy's CA is not trusted by accident;
//   - with an HttpTransport whose proxy is the URL of the SDK's config.Proxy and whose only
//     root is the proxy's CA, the right key gets the 200 answer and its files (the SDK's
//     signature verified upstream, Host unchanged), and a wrong key the fake's 401 APIG.0301
//     (the proxy forwards the signature, it does not sign);
//   - rdsproxy judged both exchanges "pass" (its log lines, matched by request ID, and its
//     JUnit report) and exited 0 after --max-exchanges 2.
//
// The child is killed on every way out, a SIGINT or SIGTERM included (and on Linux when this
// process is killed: dieWithParent).
func sdkThroughProxy() (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("interrupted by a signal (rdsproxy killed): %w", err)
		}
	}()
	dir, err := os.MkdirTemp("", "sdkcrosscheck-rdsproxy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := buildProxy(ctx, dir)
	if err != nil {
		return err
	}
	srv, err := fake.New(fake.Config{ProjectID: project, AccessKey: "CROSSAK", SecretKey: "cross-secret", TLS: true})
	if err != nil {
		return err
	}
	endpoint, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()
	fakeCA := filepath.Join(dir, "rdsfake-ca.pem")
	if err := os.WriteFile(fakeCA, srv.CACertPEM(), 0o644); err != nil {
		return err
	}
	px, err := startProxy(ctx, bin, dir, fakeCA, 2)
	if err != nil {
		return err
	}
	defer px.stop()
	if err := px.sdkRefusesProxyCA(endpoint); err != nil {
		return px.withLog(err)
	}
	ids, err := px.sdkCalls(endpoint)
	if err != nil {
		return px.withLog(err)
	}
	if err := px.waitExit(ctx, 60*time.Second); err != nil {
		return px.withLog(err)
	}
	for _, c := range []struct{ name, id, status string }{{"right key", ids[0], "200"}, {"wrong key", ids[1], "401"}} {
		line, err := px.judgedLine(c.id, c.status)
		if err != nil {
			return px.withLog(fmt.Errorf("%s: %w", c.name, err))
		}
		fmt.Printf("ok   rdsproxy judged the %s exchange: %s\n", c.name, line)
	}
	summary, err := px.junitSummary(2)
	if err != nil {
		return px.withLog(err)
	}
	fmt.Printf("ok   rdsproxy exited 0; %s\n", summary)
	return nil
}

// proxySettings is the SDK's own description of the proxy at addr (host:port).
func proxySettings(addr string) (*config.Proxy, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	return config.NewProxy().WithSchema("http").WithHost(host).WithPort(n), nil
}

// sdkRefusesProxyCA calls the SDK configured only with its HttpConfig.WithProxy: in SDK
// v0.1.207 (core/impl/default_http_client.go, NewDefaultHttpClient) that proxy is applied to
// a transport the SDK makes itself, whose TLS configuration is only
// {InsecureSkipVerify: IgnoreSSLVerification}, so it trusts the system roots and nothing
// else. The call must reach rdsproxy (the certificate it refuses is issued by the proxy's
// CA, not by rdsfake's) and fail verification.
func (px *proxyProcess) sdkRefusesProxyCA(endpoint string) error {
	settings, err := proxySettings(px.addr)
	if err != nil {
		return err
	}
	hc := config.DefaultHttpConfig().WithRetries(0).WithTimeout(30 * time.Second).WithProxy(settings)
	_, _, err = sdkCall(endpoint, "cross-secret", hc)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || unknown.Cert == nil || unknown.Cert.Issuer.CommonName != proxyCAName {
		return fmt.Errorf("SDK with WithProxy only: want x509: certificate signed by unknown authority (issuer %q), got %v", proxyCAName, err)
	}
	fmt.Printf("ok   SDK with HttpConfig.WithProxy only reached rdsproxy and refused its certificate (issuer %q): %v\n",
		proxyCAName, errors.Unwrap(err))
	return nil
}

// sdkCalls calls the SDK through the proxy with the proxy's CA as its only root, with the
// right and then a wrong secret key, checks the answers and returns their request IDs.
func (px *proxyProcess) sdkCalls(endpoint string) ([2]string, error) {
	var ids [2]string
	pem, err := os.ReadFile(px.caFile)
	if err != nil {
		return ids, fmt.Errorf("rdsproxy's --ca-out: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return ids, fmt.Errorf("rdsproxy's --ca-out %s holds no PEM certificate", px.caFile)
	}
	settings, err := proxySettings(px.addr)
	if err != nil {
		return ids, err
	}
	proxyURL, err := url.Parse(settings.GetProxyUrl())
	if err != nil {
		return ids, err
	}
	// HttpTransport takes precedence over the SDK's HttpProxy, so the proxy goes into the
	// transport: the URL of the SDK's own proxy settings, with the proxy's CA trusted.
	httpConfig := func() *config.HttpConfig {
		return config.DefaultHttpConfig().WithRetries(0).WithTimeout(30 * time.Second).WithHttpTransport(&http.Transport{
			Proxy:           http.ProxyURL(proxyURL),
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		})
	}
	resp, id, err := sdkCall(endpoint, "cross-secret", httpConfig())
	switch {
	case err != nil:
		return ids, fmt.Errorf("right key through rdsproxy: %w", err)
	case resp.HttpStatusCode != 200 || resp.Files == nil || len(*resp.Files) != 3 || resp.Bucket == nil || *resp.Bucket != "rdsbucket-demo-1":
		return ids, fmt.Errorf("right key through rdsproxy: unexpected answer %d %s", resp.HttpStatusCode, resp)
	case id == "":
		return ids, errors.New("right key through rdsproxy: no X-Request-Id in the answer")
	}
	ids[0] = id
	fmt.Printf("ok   SDK through rdsproxy --mitm (its CA as the only root) to rdsfake over TLS, signed by the SDK: %d, %d files (request id %s)\n",
		resp.HttpStatusCode, len(*resp.Files), id)
	_, id, err = sdkCall(endpoint, "wrong-secret", httpConfig())
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != 401 || se.ErrorCode != "APIG.0301" || se.RequestId == "" || se.RequestId != id {
		return ids, fmt.Errorf("wrong key through rdsproxy: want a ServiceResponseError 401 APIG.0301 with the request id of the answer, got %v", err)
	}
	ids[1] = se.RequestId
	fmt.Printf("ok   SDK with a wrong secret key through rdsproxy received rdsfake's %d %s (request id %s): verified upstream, not re-signed\n",
		se.StatusCode, se.ErrorCode, se.RequestId)
	return ids, nil
}

// sdkCall is one ShowBackupDownloadLink of the demo backup with the AK/SK credentials and hc;
// it also returns the X-Request-Id of the answer, seen by the SDK's response handler.
func sdkCall(endpoint, sk string, hc *config.HttpConfig) (*model.ShowBackupDownloadLinkResponse, string, error) {
	var requestID string
	hc = hc.WithHttpHandler(httphandler.NewHttpHandler().AddResponseHandler(func(r http.Response) {
		requestID = r.Header.Get("X-Request-Id")
	}))
	auth, err := basic.NewCredentialsBuilder().WithAk("CROSSAK").WithSk(sk).WithProjectId(project).SafeBuild()
	if err != nil {
		return nil, "", err
	}
	client, err := rds.RdsClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(auth).WithHttpConfig(hc).SafeBuild()
	if err != nil {
		return nil, "", err
	}
	resp, err := rds.NewRdsClient(client).ShowBackupDownloadLink(&model.ShowBackupDownloadLinkRequest{BackupId: fake.DemoPostgresDBLevel})
	return resp, requestID, err
}

// judgedLine finds rdsproxy's log line for the exchange answered with request ID id and
// checks that it was a GET of the operation answered with status and judged "pass".
func (px *proxyProcess) judgedLine(id, status string) (string, error) {
	for _, line := range strings.Split(px.stderr.String(), "\n") {
		if !strings.Contains(line, " request_id="+id+" ") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 || f[2] != http.MethodGet || !strings.Contains(f[3], "/v3/"+project+"/backup-files?") || f[4] != status || f[5] != "pass" {
			return "", fmt.Errorf("rdsproxy's line for request id %s is not GET .../backup-files %s pass: %s", id, status, line)
		}
		return line, nil
	}
	return "", fmt.Errorf("rdsproxy logged no exchange with request id %s", id)
}
