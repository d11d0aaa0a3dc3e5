// Command plain is the baseline half of the binary-size comparison in internal/sizecheck:
// it makes the backup-files call with plain net/http and encoding/json.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

func main() {
	req, _ := http.NewRequestWithContext(context.Background(), "GET", os.Args[1], nil)
	req.Header.Set("X-Auth-Token", os.Getenv("T"))
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rsp.Body.Close()
	var v map[string]any
	json.NewDecoder(rsp.Body).Decode(&v)
	fmt.Println(v)
}
