// Package location splits the "file:line[:col]" locations that inventories,
// policies and reports name things by. It is a leaf helper: the public
// packages (policies) and the renderers (internal/report) share it.
package location

// Split splits "file:line[:col]" into its parts; line and col are 0 when
// absent. A Windows drive letter ("C:\x") is not taken for a line.
func Split(loc string) (file string, line, col int) {
	file = loc
	nums := []int{}
	for range 2 {
		i := lastColon(file)
		if i < 0 {
			break
		}
		n, ok := atoi(file[i+1:])
		if !ok {
			break
		}
		nums = append(nums, n)
		file = file[:i]
	}
	switch len(nums) {
	case 1:
		line = nums[0]
	case 2:
		line, col = nums[1], nums[0]
	}
	if file == "" {
		return loc, 0, 0
	}
	return file, line, col
}

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

// atoi parses a positive decimal of at most nine digits.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n > 0
}
