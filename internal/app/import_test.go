package app_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/importer"
)

// app.Import reads a file source without a cluster and returns the
// inventory compiled back to exactly the bindings the file holds; the
// cluster source without a client is an error, not a crash.
func TestImportFileSourceRoundTrips(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "acls.txt")
	listing := `Current ACLs for resource ` + "`ResourcePattern(resourceType=TOPIC, name=orders.events, patternType=LITERAL)`" + `:
 	(principal=User:orders-api, host=*, operation=WRITE, permissionType=ALLOW)
	(principal=User:orders-api, host=*, operation=DESCRIBE, permissionType=ALLOW)

`
	if err := os.WriteFile(file, []byte(listing), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := app.Import(ctx, nil, importer.Options{From: "kafka-acls", Paths: []string{file}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := importer.ParseKafkaACLs(file, []byte(listing))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Compiled.ACLs.Equal(acl.NewSet(want...)) || len(want) != 2 {
		t.Errorf("imported %v, want %v", res.Compiled.ACLs.Bindings(), want)
	}
	if _, err := app.Import(ctx, nil, importer.Options{From: "cluster"}); err == nil {
		t.Error("import --from cluster without a client: no error")
	}
}
