package models

import (
	"os"
	"sync"
	"time"
)

// CachedProfiles returns the built-in profiles with the user's profile
// file (ProfilesPath) applied, for the commands that run models. The process keeps them while
// the file stays as it was (its path, size and modification time), so that
// each turn of a chat does not read and parse it again; an edited file is
// read at the next turn.
func CachedProfiles() ([]Profile, error) {
	path := ProfilesPath()
	var key profilesKey
	key.path = path
	if fi, err := os.Stat(path); err == nil {
		key.size, key.mod = fi.Size(), fi.ModTime()
	}
	profilesCache.Lock()
	defer profilesCache.Unlock()
	if profilesCache.ps != nil && profilesCache.key == key {
		return profilesCache.ps, nil
	}
	ps, _, err := LoadProfilesFrom(path)
	if err != nil {
		return ps, err
	}
	profilesCache.key, profilesCache.ps = key, ps
	return ps, nil
}

type profilesKey struct {
	path string
	size int64
	mod  time.Time
}

var profilesCache struct {
	sync.Mutex
	key profilesKey
	ps  []Profile
}
