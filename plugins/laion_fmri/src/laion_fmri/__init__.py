"""Access to the LAION-fMRI data set (``s3://laion-fmri``) as a BrainIO plugin.

Modules, as in the LAION-fMRI package: :mod:`laion_fmri.config` (data directory),
:mod:`laion_fmri.discovery` (what the bucket holds), :mod:`laion_fmri.splits` (train/test
splits), :mod:`laion_fmri.download` (fetch a subject's files), :mod:`laion_fmri.subject`
(read them; betas also as BrainIO assemblies) and :mod:`laion_fmri.errors`.
"""

from __future__ import annotations

__all__ = ["config", "discovery", "download", "errors", "splits", "subject"]
