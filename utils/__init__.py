"""Helpers imported by the notebooks of Deep Learning from the Ground Up.

    from utils import LossFunctionWithPlot, load_mnist, contour_with_path

Each module has one job:
  paths     where the course's datasets live
  mnist     the MNIST loader (IDX gzip files, SHA-256 verified)
  data      the small course datasets (CSV) and their loaders
  plotting  figures: contours with paths, learning curves, the ill-conditioned bowl
  testing   assertions used by the visible and hidden tests
  progress  progress bars that behave in notebooks and under the autograder
"""
from .mnist import MNISTError, load_mnist
from .plotting import (OKABE_ITO, LossFunctionWithPlot, add_path, contour_with_path,
                       learning_curve, use_course_style)
from .progress import progress

use_course_style()

__all__ = ["LossFunctionWithPlot", "MNISTError", "OKABE_ITO", "add_path", "contour_with_path",
           "learning_curve", "load_mnist", "progress", "use_course_style"]
