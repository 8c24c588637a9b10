"""Published FER2013 PrivateTest accuracies, quoted beside every results table."""

from dataclasses import dataclass

__all__ = ["Published", "PUBLISHED"]


@dataclass(frozen=True)
class Published:
    """A published FER2013 PrivateTest accuracy (percent) and its source."""

    accuracy: float
    source: str
    note: str = ""


#: Reference points quoted in every results table (PrivateTest accuracy, %).
PUBLISHED = {
    "tang2013": Published(
        71.162, "Tang 2013 (challenge winner)", "CNN with a linear SVM loss"),
    "ionescu2013": Published(
        67.484, "Ionescu, Popescu & Grozea 2013 (4th place)",
        "dense SIFT bag of visual words + local learning, no neural network"),
    "human": Published(
        65.0, "Goodfellow et al. 2013", "human accuracy, estimated at 65 +/- 5 %"),
    "bergstra2013": Published(
        60.0, "Bergstra & Cox 2013", "'null model' baseline of the challenge paper"),
}
