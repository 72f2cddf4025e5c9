#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/toolz/curried/__init__.py b/toolz/curried/__init__.py
index 738d9c9..356eddb 100644
--- a/toolz/curried/__init__.py
+++ b/toolz/curried/__init__.py
@@ -82,6 +82,7 @@ partial = toolz.curry(toolz.partial)
 partition = toolz.curry(toolz.partition)
 partition_all = toolz.curry(toolz.partition_all)
 partitionby = toolz.curry(toolz.partitionby)
+peekn = toolz.curry(toolz.peekn)
 pluck = toolz.curry(toolz.pluck)
 random_sample = toolz.curry(toolz.random_sample)
 reduce = toolz.curry(toolz.reduce)
diff --git a/toolz/itertoolz.py b/toolz/itertoolz.py
index 9c5a39f..1ab5485 100644
--- a/toolz/itertoolz.py
+++ b/toolz/itertoolz.py
@@ -13,7 +13,7 @@ __all__ = ('remove', 'accumulate', 'groupby', 'merge_sorted', 'interleave',
            'first', 'second', 'nth', 'last', 'get', 'concat', 'concatv',
            'mapcat', 'cons', 'interpose', 'frequencies', 'reduceby', 'iterate',
            'sliding_window', 'partition', 'partition_all', 'count', 'pluck',
-           'join', 'tail', 'diff', 'topk', 'peek', 'random_sample')
+           'join', 'tail', 'diff', 'topk', 'peek', 'peekn', 'random_sample')
 
 
 def remove(predicate, seq):
@@ -1001,6 +1001,24 @@ def peek(seq):
     return item, itertools.chain((item,), iterator)
 
 
+def peekn(n, seq):
+    """ Retrieve the next n elements of a sequence
+
+    Returns a tuple of the first n elements and an iterable equivalent
+    to the original, still having the elements retrieved.
+
+    >>> seq = [0, 1, 2, 3, 4]
+    >>> first_two, seq = peekn(2, seq)
+    >>> first_two
+    (0, 1)
+    >>> list(seq)
+    [0, 1, 2, 3, 4]
+    """
+    iterator = iter(seq)
+    peeked = tuple(take(n, iterator))
+    return peeked, itertools.chain(iter(peeked), iterator)
+
+
 def random_sample(prob, seq, random_state=None):
     """ Return elements from a sequence with probability of prob
 
AGENTGYM_PATCH
