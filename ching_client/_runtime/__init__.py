"""The runtime that generated code imports: the operation contract, argument kinds, parameters, ``Model``, ``UNSET``.

Hand-written, linted and type-checked like the rest of the SDK. ``ching_client/_generated`` holds
only what the spec determines (models, each operation's request builder and parser, the resource
classes) and calls into these modules for everything else.
"""
