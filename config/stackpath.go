package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// StackPath is the path of stack's settings file, Pulumi.<stack>.yaml, in the project at
// dir: in the project's stackConfigDir when Pulumi.yaml sets one, as [LoadStack] reads it.
// The file must exist (the writer of measured keys, [UpdateStackFile], edits it in place).
func StackPath(dir, stack string) (string, error) {
	if stack == "" || strings.ContainsAny(stack, `/\`) {
		return "", fmt.Errorf("stack name %q: want a plain name like dev", stack)
	}
	var proj projectFile
	if err := readYAML(filepath.Join(dir, "Pulumi.yaml"), &proj); err != nil {
		return "", err
	}
	stackDir := filepath.Join(dir, proj.StackConfigDir)
	path := stackFilePath(dir, proj, stack)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("stack %s: no stack file %s (stacks found: %s)", stack, path, listStacks(stackDir))
	} else if err != nil {
		return "", fmt.Errorf("stack %s: %w", stack, err)
	}
	return path, nil
}
