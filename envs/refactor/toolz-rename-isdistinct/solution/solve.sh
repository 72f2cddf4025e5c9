#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/toolz/curried/__init__.py b/toolz/curried/__init__.py
index 356eddb..0bead20 100644
--- a/toolz/curried/__init__.py
+++ b/toolz/curried/__init__.py
@@ -41,6 +41,7 @@ from toolz import (
     frequencies,
     identity,
     interleave,
+    all_distinct,
     isdistinct,
     isiterable,
     juxt,
diff --git a/toolz/itertoolz.py b/toolz/itertoolz.py
index 1ab5485..14b9159 100644
--- a/toolz/itertoolz.py
+++ b/toolz/itertoolz.py
@@ -9,7 +9,7 @@ from toolz.utils import no_default
 
 
 __all__ = ('remove', 'accumulate', 'groupby', 'merge_sorted', 'interleave',
-           'unique', 'isiterable', 'isdistinct', 'take', 'drop', 'take_nth',
+           'unique', 'isiterable', 'all_distinct', 'isdistinct', 'take', 'drop', 'take_nth',
            'first', 'second', 'nth', 'last', 'get', 'concat', 'concatv',
            'mapcat', 'cons', 'interpose', 'frequencies', 'reduceby', 'iterate',
            'sliding_window', 'partition', 'partition_all', 'count', 'pluck',
@@ -290,17 +290,17 @@ def isiterable(x):
         return False
 
 
-def isdistinct(seq):
+def all_distinct(seq):
     """ All values in sequence are distinct
 
-    >>> isdistinct([1, 2, 3])
+    >>> all_distinct([1, 2, 3])
     True
-    >>> isdistinct([1, 2, 1])
+    >>> all_distinct([1, 2, 1])
     False
 
-    >>> isdistinct("Hello")
+    >>> all_distinct("Hello")
     False
-    >>> isdistinct("World")
+    >>> all_distinct("World")
     True
     """
     if iter(seq) is seq:
@@ -315,6 +315,17 @@ def isdistinct(seq):
         return len(seq) == len(set(seq))
 
 
+def isdistinct(seq):
+    """ Deprecated alias of :func:`all_distinct` """
+    import warnings
+    warnings.warn(
+        "isdistinct is deprecated; use all_distinct",
+        DeprecationWarning,
+        stacklevel=2,
+    )
+    return all_distinct(seq)
+
+
 def take(n, seq):
     """ The first n elements of a sequence
 
AGENTGYM_PATCH
