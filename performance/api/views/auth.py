"""Authentication: API tokens (throttled) and who the caller is."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from projects.models import Membership
from projects.security import login_throttle
from projects.security.client_address import client_address

from ..schema import errors, responses
from ..throttling import AuthRateThrottle

BAD_CREDENTIALS = _("用户名或密码不正确，或账号已停用。")


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label="用户名")
    password = serializers.CharField(
        label="密码", style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [BAD_CREDENTIALS]}, code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        label="令牌",
        help_text="请求头 Authorization: Token <令牌> 使用；同一用户多次申请返回同一令牌。",
    )


class TokenView(APIView):
    """``POST`` issues (or returns) the caller's token; ``DELETE`` revokes it."""

    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth"

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="申请 API 令牌",
        description=(
            "用用户名和密码换取 API 令牌（管理后台“令牌”页面也可签发）。"
            "按客户端地址限流，超过频率返回 429；同一用户名在同一地址连续登录失败，"
            "或同一地址登录失败（不论用户名）达到上限后（与管理后台登录合并计数）"
            "暂时锁定，也返回 429。"
        ),
        request=TokenRequestSerializer,
        responses={
            200: OpenApiResponse(TokenSerializer, description="令牌"),
            **errors(400, 429),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        username = str(request.data.get("username", "")) if hasattr(request.data, "get") else ""
        ident = client_address(request)
        lockout = login_throttle.current_lockout(username, ident)
        if lockout:
            raise exceptions.Throttled(wait=lockout.seconds, detail=lockout.message)
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if "username" not in serializer.errors and "password" not in serializer.errors:
                login_throttle.record_failure(username, ident)  # a wrong password
            raise exceptions.ValidationError(serializer.errors)
        login_throttle.reset(username, ident)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(
        summary="注销 API 令牌",
        description="删除当前用户的令牌；之后用该令牌的请求返回 401。",
        request=None,
        responses={204: OpenApiResponse(description="已注销"), **errors(429)},
    )
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=204)


class MembershipSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", label="单位编码")
    unit_name = serializers.CharField(source="unit.name", label="单位名称")

    class Meta:
        model = Membership
        fields = ["unit", "unit_code", "unit_name", "role"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(label="用户名")
    name = serializers.CharField(label="姓名")
    is_superuser = serializers.BooleanField(label="系统管理员（超级用户）")
    memberships = MembershipSerializer(
        many=True, label="角色", help_text="角色适用于该单位及其下级单位。"
    )


class MeView(APIView):
    @extend_schema(
        summary="当前用户",
        description="当前登录用户及其在各单位的角色（填报人、单位审核人、主管部门审核人、财政审核人、管理员）。",
        responses=responses(MeSerializer),
    )
    def get(self, request: Request) -> Response:
        user = request.user
        memberships = Membership.objects.filter(user=user).select_related("unit")
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.username,
                    "name": user.get_full_name() or user.username,
                    "is_superuser": user.is_superuser,
                    "memberships": memberships.order_by("unit__path", "role"),
                }
            ).data
        )
