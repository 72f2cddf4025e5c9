#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/semver/version.py b/src/semver/version.py
index 29309ab..e313d70 100644
--- a/src/semver/version.py
+++ b/src/semver/version.py
@@ -263,6 +263,21 @@ class Version:
             string = string[: max(end - len(next_), start)] + next_ + string[end:]
         return string
 
+    @classmethod
+    def _next_token(
+        cls, current: Optional[str], token: Optional[str], default: str
+    ) -> str:
+        """The next value of a prerelease or build part."""
+        if current is not None:
+            value = current
+        elif token == "":
+            value = "0"
+        elif token is None:
+            value = default + ".0"
+        else:
+            value = str(token) + ".0"
+        return cls._increment_string(value)
+
     def bump_major(self) -> "Version":
         """
         Raise the major part of the version, return a new object but leave self
@@ -323,16 +338,7 @@ class Version:
         'rc.1'
         """
         cls = type(self)
-        if self._prerelease is not None:
-            prerelease = self._prerelease
-        elif token == "":
-            prerelease = "0"
-        elif token is None:
-            prerelease = "rc.0"
-        else:
-            prerelease = str(token) + ".0"
-
-        prerelease = cls._increment_string(prerelease)
+        prerelease = cls._next_token(self._prerelease, token, "rc")
         return cls(self._major, self._minor, self._patch, prerelease)
 
     def bump_build(self, token: Optional[str] = "build") -> "Version":
@@ -350,28 +356,7 @@ class Version:
 build='build.10')
         """
         cls = type(self)
-        if self._build is not None:
-            build = self._build
-        elif token == "":
-            build = "0"
-        elif token is None:
-            build = "build.0"
-        else:
-            build = str(token) + ".0"
-
-        # self._build or (token or "build") + ".0"
-        build = cls._increment_string(build)
-        if self._build is not None:
-            build = self._build
-        elif token == "":
-            build = "0"
-        elif token is None:
-            build = "build.0"
-        else:
-            build = str(token) + ".0"
-
-        # self._build or (token or "build") + ".0"
-        build = cls._increment_string(build)
+        build = cls._next_token(self._build, token, "build")
         return cls(self._major, self._minor, self._patch, self._prerelease, build)
 
     def compare(self, other: Comparable) -> int:
AGENTGYM_PATCH
