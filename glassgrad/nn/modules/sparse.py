"""Embedding tables (as ``torch.nn.modules.sparse``; glassgrad's gradients are always dense)."""

from ...autograd.grad_mode import no_grad
from ...creation import empty
from ...device import check_device
from ...ops.nn_misc import embedding
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """A lookup table of learnable vectors: row i of ``weight`` is the vector of index i.

    out[...] = weight[input[...]]; the gradient of weight adds the upstream gradient into the
    rows that were read (rows used twice collect both), except the row ``padding_idx``, which
    starts at zero and is never updated. weight starts as N(0, 1) draws from the global
    generator.

    Args:
        num_embeddings (int): the number of rows (the vocabulary size).
        embedding_dim (int): the length of each vector.
        padding_idx (int, optional): a row that gets no gradient (negative counts from the end).
        max_norm (float, optional): rows read are rescaled in place to at most this norm.
        norm_type (float): the p of the norm for max_norm (default 2).
        scale_grad_by_freq (bool): divide each row's gradient by its count in the batch.
        sparse (bool): must be False (no sparse gradients in glassgrad).

    Shape:
        input (*) int64 or int32 gives (*, embedding_dim).

    Example:
        >>> emb = glassgrad.nn.Embedding(10, 3, padding_idx=0)
        >>> emb(glassgrad.tensor([[0, 2], [4, 4]])).shape
        glassgrad.Size([2, 2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if padding_idx >= num_embeddings or padding_idx < -num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self):
        """Redraw weight from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            text += ", sparse=True"
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is ``embeddings`` (a 2-D tensor, shared, not copied),
        frozen unless ``freeze=False``.

        Example:
            >>> emb = glassgrad.nn.Embedding.from_pretrained(glassgrad.eye(3))
            >>> emb(glassgrad.tensor([2]))
            tensor([[0., 0., 1.]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
