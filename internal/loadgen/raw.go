package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// rawRequest is a request serialised once, sent as is on a kept-alive connection.
type rawRequest struct {
	req  Request
	addr string
	wire []byte
}

func newRawRequest(r Request) (rawRequest, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return rawRequest{}, err
	}
	if u.Scheme != "http" {
		return rawRequest{}, fmt.Errorf("loadgen: raw mode speaks plain http only, not %s", u.Scheme)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: rdsbackup-loadgen\r\n", r.Method, u.RequestURI(), u.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return rawRequest{req: r, addr: u.Host, wire: b.Bytes()}, nil
}

// rawConn sends requests on one connection and reads the answers with a minimal
// HTTP/1.1 parser (status line, Content-Length or chunked bodies, Connection: close).
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// do sends one request and returns the status; the body is read and dropped.
func (c *rawConn) do(ctx context.Context, r rawRequest) (int, error) {
	if c.conn == nil {
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", r.addr)
		if err != nil {
			return 0, err
		}
		c.conn, c.br = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(r.wire); err != nil {
		c.close()
		return 0, err
	}
	status, err := c.readResponse(r.req.Method == http.MethodHead)
	if err != nil {
		c.close()
	}
	return status, err
}

func (c *rawConn) readResponse(head bool) (int, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("loadgen: bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("loadgen: bad status line %q", line)
	}
	length, chunked, closeAfter := int64(-1), false, false
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, _ := bytes.Cut(h, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return 0, errors.New("loadgen: bad Content-Length")
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			closeAfter = bytes.EqualFold(v, []byte("close"))
		}
	}
	switch {
	case head || status == 204 || status == 304:
	case chunked:
		for {
			l, err := c.br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(l, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return 0, errors.New("loadgen: bad chunk size")
			}
			if _, err := c.br.Discard(int(size) + 2); err != nil {
				return 0, err
			}
			if size == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := io.CopyN(io.Discard, c.br, length); err != nil {
			return 0, err
		}
	default:
		closeAfter = true
		if _, err := io.Copy(io.Discard, c.br); err != nil {
			return 0, err
		}
	}
	if closeAfter {
		c.close()
	}
	return status, nil
}
